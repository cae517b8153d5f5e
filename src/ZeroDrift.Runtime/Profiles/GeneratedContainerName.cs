using System.Collections.Frozen;

namespace ZeroDrift.Runtime.Profiles;

/// <summary>
/// Whether a container's name was made up by the runtime: podman and docker name a container started without
/// <c>--name</c> <c>adjective_surname</c>, one word from each of moby's namesgenerator lists (podman uses the same
/// package), and docker appends one digit when the name is taken (<c>focused_turing3</c>). Such a name says nothing
/// about the workload; a name a person or a tool chose does.
/// </summary>
public static class GeneratedContainerName
{
    /// <summary>True only for exactly <c>adjective_surname</c> from the lists, optionally followed by one digit.</summary>
    public static bool IsGenerated(string name)
    {
        var underscore = name.IndexOf('_');
        if (underscore <= 0) return false;
        var adjective = name[..underscore];
        var surname = name[(underscore + 1)..];
        if (surname.Length > 1 && char.IsAsciiDigit(surname[^1])) surname = surname[..^1];
        // The generator draws again rather than call Steve Wozniak boring.
        return Adjectives.Contains(adjective) && Surnames.Contains(surname) && !(adjective == "boring" && surname == "wozniak");
    }

    /// <summary>moby's <c>left</c> list, as frozen in moby and vendored by podman.</summary>
    internal static readonly FrozenSet<string> Adjectives = FrozenSet.ToFrozenSet(
    [
        "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful", "bold", "boring",
        "brave", "busy", "charming", "clever", "cool", "compassionate", "competent", "condescending", "confident", "cranky", "crazy",
        "dazzling", "determined", "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic",
        "exciting", "fervent", "festive", "flamboyant", "focused", "friendly", "frosty", "funny", "gallant", "gifted", "goofy",
        "gracious", "great", "happy", "hardcore", "heuristic", "hopeful", "hungry", "infallible", "inspiring", "interesting",
        "intelligent", "jolly", "jovial", "keen", "kind", "laughing", "loving", "lucid", "magical", "mystifying", "modest", "musing",
        "naughty", "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic", "peaceful", "pedantic", "pensive", "practical",
        "priceless", "quirky", "quizzical", "recursing", "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy",
        "stoic", "strange", "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant",
        "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
    ], StringComparer.Ordinal);

    /// <summary>moby's <c>right</c> list (notable scientists and hackers), with the few names podman's vendored copy adds.</summary>
    internal static readonly FrozenSet<string> Surnames = FrozenSet.ToFrozenSet(
    [
        "agnesi", "albattani", "allen", "almeida", "antonelli", "archimedes", "ardinghelli", "aryabhata", "austin",
        "babbage", "banach", "banzai", "bardeen", "bartik", "bassi", "beaver", "bell", "benz", "bhabha", "bhaskara", "bhosale", "black",
        "blackburn", "blackwell", "bohr", "booth", "borg", "bose", "bouman", "boyd", "brahmagupta", "brattain", "brown", "buck", "burnell",
        "cannon", "carson", "cartwright", "carver", "cerf", "chandrasekhar", "chaplygin", "chatelet", "chatterjee", "chaum", "chebyshev",
        "clarke", "cohen", "colden", "cori", "cray", "curie", "curran",
        "darwin", "davinci", "dewdney", "dhawan", "diffie", "dijkstra", "dirac", "driscoll", "dubinsky",
        "easley", "edison", "einstein", "elbakyan", "elgamal", "elion", "ellis", "engelbart", "euclid", "euler",
        "faraday", "feistel", "fermat", "fermi", "feynman", "franklin",
        "gagarin", "galileo", "galois", "ganguly", "gates", "gauss", "germain", "goldberg", "goldstine", "goldwasser", "golick", "goodall",
        "gould", "greider", "grothendieck",
        "haibt", "hamilton", "haslett", "hawking", "heisenberg", "hellman", "hermann", "herschel", "hertz", "heyrovsky", "hodgkin",
        "hofstadter", "hoover", "hopper", "hugle", "hypatia",
        "ishizaka", "jackson", "jang", "jemison", "jennings", "jepsen", "jijau", "johnson", "joliot", "jones",
        "kalam", "kapitsa", "kare", "keldysh", "keller", "kepler", "khayyam", "khorana", "kilby", "kirch", "knuth", "kowalevski",
        "lalande", "lamarr", "lamport", "leakey", "leavitt", "lederberg", "lehmann", "lewin", "lichterman", "liskov", "lovelace", "lumiere",
        "mahavira", "margulis", "matsumoto", "maxwell", "mayer", "mccarthy", "mcclintock", "mclaren", "mclean", "mcnulty", "meitner",
        "mendel", "mendeleev", "meninsky", "merkle", "mestorf", "mirzakhani", "montalcini", "moore", "morse", "moser", "murdock",
        "napier", "nash", "neumann", "newton", "nightingale", "nobel", "noether", "northcutt", "noyce",
        "panini", "pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare", "poitras", "proskuriakova", "ptolemy",
        "raman", "ramanujan", "rhodes", "ride", "ritchie", "robinson", "roentgen", "rosalind", "rubin",
        "saha", "sammet", "sanderson", "satoshi", "shamir", "shannon", "shaw", "shirley", "shockley", "shtern", "sinoussi", "snyder",
        "solomon", "spence", "stonebraker", "sutherland", "swanson", "swartz", "swirles",
        "taussig", "tereshkova", "tesla", "tharp", "thompson", "torvalds", "tu", "turing",
        "varahamihira", "vaughan", "villani", "visvesvaraya", "volhard",
        "wescoff", "wilbur", "wiles", "williams", "williamson", "wilson", "wing", "wozniak", "wright", "wu",
        "yalow", "yonath", "zhukovsky",
    ], StringComparer.Ordinal);
}
