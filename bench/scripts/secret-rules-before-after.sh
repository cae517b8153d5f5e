#!/usr/bin/env bash
# The secret engine of two commits on the same files, in the same run: loads a rule set (the built-in rules, or a
# gitleaks config given with CONFIG=…) and scans every text file under TREE with SecretScanner, one thread, in a
# fresh process each time (JIT, rule loading and regex construction included), BEFORE and AFTER alternating RUNS times
# (default 7) so that load on a shared machine hits both alike. Reports the medians of wall and CPU (user + sys)
# time and their ratios, and checks that both found the same secrets. Builds only ZeroDrift.Secrets and what it uses.
# usage: secret-rules-before-after.sh BEFORE-COMMIT [AFTER-COMMIT (default: the work tree)] [TREE (default: /usr/lib/node_modules)]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
before=${1:?usage: secret-rules-before-after.sh BEFORE-COMMIT [AFTER-COMMIT] [TREE]}
after=${2:-}
tree=${3:-/usr/lib/node_modules}
runs=${RUNS:-7}
config=${CONFIG:-}
work=$(mktemp -d /tmp/zerodrift-secret-ab-XXXXXX)
trap 'rm -rf "$work"' EXIT

checkout() { # commit-or-empty destination
  mkdir -p "$2"
  if [ -z "$1" ]; then
    (cd "$root" && tar --exclude=bin --exclude=obj -cf - Directory.Build.props Directory.Packages.props global.json src/ZeroDrift.Core src/ZeroDrift.Artifacts src/ZeroDrift.Parsing src/ZeroDrift.Secrets) | tar -xf - -C "$2"
  else
    (cd "$root" && git archive "$1" Directory.Build.props Directory.Packages.props global.json src/ZeroDrift.Core src/ZeroDrift.Artifacts src/ZeroDrift.Parsing src/ZeroDrift.Secrets) | tar -xf - -C "$2"
  fi
  mkdir -p "$2/harness"
  cat >"$2/harness/harness.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TieredPGO>true</TieredPGO></PropertyGroup>
  <ItemGroup><ProjectReference Include="../src/ZeroDrift.Secrets/ZeroDrift.Secrets.csproj" /></ItemGroup>
</Project>
XML
  cat >"$2/harness/Program.cs" <<'CS'
using ZeroDrift.Secrets;
var set = args[1].Length > 0 ? SecretRuleSet.LoadGitleaks(args[1]) : BuiltInRules.RuleSet;
var scanner = new SecretScanner(set);
var found = new List<string>();
foreach (var file in Directory.EnumerateFiles(args[0], "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal))
{
    var info = new FileInfo(file);
    if (info.LinkTarget is not null || info.Length == 0 || info.Length > 4 << 20) continue;
    var bytes = File.ReadAllBytes(file);
    if (Array.IndexOf(bytes, (byte)0, 0, Math.Min(bytes.Length, 8192)) >= 0) continue;
    foreach (var f in scanner.Scan(file, new StringReader(System.Text.Encoding.UTF8.GetString(bytes)))) found.Add($"{f.RuleId} {f.File}:{f.Line}");
}
Console.WriteLine(string.Join("\n", found));
CS
  dotnet build "$2/harness" -c Release --nologo -v q -o "$2/out" >/dev/null
}
checkout "$before" "$work/before"
checkout "$after" "$work/after"

median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
run() { # side -> "wall cpu", findings into $work/side.txt
  /usr/bin/time -f "%e %U %S" -o "$work/$1.time" dotnet "$work/$1/out/harness.dll" "$tree" "$config" >"$work/$1.txt"
  read -r s u y <"$work/$1.time"; echo "$s $(python3 -c "print($u + $y)")"
}
run before >/dev/null; run after >/dev/null   # warm the page cache
bw=(); bc=(); aw=(); ac=()
for _ in $(seq "$runs"); do
  read -r w c < <(run before); bw+=("$w"); bc+=("$c")
  read -r w c < <(run after); aw+=("$w"); ac+=("$c")
done
cmp -s "$work/before.txt" "$work/after.txt" && same=identical || same=DIFFERENT
python3 - <<PY
bw, bc, aw, ac = $(median "${bw[@]}"), $(median "${bc[@]}"), $(median "${aw[@]}"), $(median "${ac[@]}")
print(f"tree: $tree; rules: {'$config' or 'built-in'}; $runs alternating runs each; load average {open('/proc/loadavg').read().split()[0]}")
print(f"before ($before): {bw:.2f} s wall, {bc:.2f} s CPU (runs: ${bw[*]})")
print(f"after  (${after:-work tree}): {aw:.2f} s wall, {ac:.2f} s CPU (runs: ${aw[*]})")
print(f"after/before: {aw/bw:.3f} wall, {ac/bc:.3f} CPU; findings $(wc -l <"$work/after.txt") ($same)")
PY
