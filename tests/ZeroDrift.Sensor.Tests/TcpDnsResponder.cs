using System.Buffers.Binary;
using System.Net.Sockets;

namespace ZeroDrift.Sensor.Tests;

/// <summary>
/// A minimal DNS-over-TCP responder (RFC 1035 4.2.2: every message prefixed by its 16-bit length) answering one A
/// question, and the Python client the scenario runs against it.
/// </summary>
public static class TcpDnsResponder
{
    public const int QueryId = 0x2b6d;
    public const string Address = "192.0.2.7";

    public static void AnswerOne(TcpListener listener)
    {
        using var client = listener.AcceptTcpClient();
        client.ReceiveTimeout = 10_000;
        using var stream = client.GetStream();
        var prefix = new byte[2];
        stream.ReadExactly(prefix);
        var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        stream.ReadExactly(query);
        // Answer: the query's header and question, QR/RD/RA set, one A record pointing back at the question name.
        var answer = new List<byte>(query);
        answer[2] = 0x81;
        answer[3] = 0x80;
        answer[6] = 0;
        answer[7] = 1;
        answer.AddRange([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
        var reply = new byte[2 + answer.Count];
        BinaryPrimitives.WriteUInt16BigEndian(reply, (ushort)answer.Count);
        answer.CopyTo(reply, 2);
        stream.Write(reply);
    }

    /// <summary>Sends the query with its length in one call (sendto), reads the length, then the answer (recvfrom twice).</summary>
    public static string ClientScript(string server, string name) => $$"""
        import socket, struct
        labels = b''.join(bytes([len(p)]) + p.encode() for p in '{{name}}'.split('.')) + b'\0'
        query = struct.pack('>HHHHHH', {{QueryId}}, 0x0100, 1, 0, 0, 0) + labels + struct.pack('>HH', 1, 1)
        s = socket.create_connection(('{{server}}', 53), timeout=10)
        s.sendall(struct.pack('>H', len(query)) + query)
        n = struct.unpack('>H', s.recv(2))[0]
        answer = b''
        while len(answer) < n:
            answer += s.recv(n - len(answer))
        assert struct.unpack('>H', answer[:2])[0] == {{QueryId}}
        s.close()
        """;
}
