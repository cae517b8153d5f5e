using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ZeroDrift.Runtime.Profiles;
using ZeroDrift.Runtime.Response;
using ZeroDrift.Server.Client;

namespace ZeroDrift.Agent;

/// <summary>
/// Commands the server hands this agent with each batch answer (docs/server.md, "Agent channel"): <c>set-mode</c>
/// switches a workload's stored mode, exactly as <c>zerodrift profile mode</c> does, then says so to
/// <paramref name="storeChanged"/> (the agent posts it to its loop, which applies it at once); <c>kill</c> and
/// <c>pause</c> stop or freeze a container through the <see cref="Responder"/>. Each is handled once, off the
/// channel's sender (none of it touches the loop's state), and reported done or failed, so the server stops handing it out.
/// </summary>
public sealed class ServerCommands(ServerConnection server, string profilesPath, Responder responder, ILogger log, Action? storeChanged = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, byte> _handled = new(StringComparer.Ordinal);
    private readonly HttpClient _http = server.CreateHttpClient(TimeSpan.FromSeconds(30));

    /// <summary>Subscribe to <see cref="AgentChannel.CommandReceived"/>; work is done off the channel's sender.</summary>
    public void OnCommand(ServerCommand command)
    {
        var id = command.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!_handled.TryAdd(id, 0)) return;
        _ = Task.Run(async () =>
        {
            var (ok, detail) = Handle(command);
            log.ServerCommand(id, command.Kind, detail);
            if (ok && command.Kind == "set-mode") storeChanged?.Invoke();
            try
            {
                using var response = await _http.PostAsJsonAsync($"api/v1/agent/commands/{id}/done", new CommandOutcome(ok ? "done" : "failed"),
                    AgentRecordJson.Default.CommandOutcome).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) _handled.TryRemove(id, out _); // handed out again, tried again
            }
            catch (HttpRequestException)
            {
                _handled.TryRemove(id, out _);
            }
            catch (TaskCanceledException)
            {
                _handled.TryRemove(id, out _);
            }
        });
    }

    public (bool Ok, string Detail) Handle(ServerCommand command)
    {
        var target = command.Target;
        switch (command.Kind)
        {
            case "set-mode":
            {
                SetModePayload? payload;
                try
                {
                    payload = command.Payload.Deserialize(AgentRecordJson.Default.SetModePayload);
                }
                catch (JsonException e)
                {
                    return (false, $"not a set-mode payload: {e.Message}");
                }
                if (payload is null) return (false, "a set-mode command without its payload");
                var workload = payload.Workload is { Length: > 0 } named ? named : target;
                var mode = payload.Mode switch { WorkloadMode.Monitor => ProfileMode.Monitor, WorkloadMode.Protect => ProfileMode.Protect, _ => ProfileMode.Learn };
                try
                {
                    using var store = ProfileStore.Open(profilesPath);
                    var matched = store.Find(workload);
                    foreach (var profile in matched) store.Save(profile with { Mode = mode, Updated = DateTimeOffset.UtcNow });
                    return matched.Count > 0 ? (true, $"{workload}: {mode.ToString().ToLowerInvariant()} ({matched.Count} profiles)") : (false, $"no profile of {workload} on this host");
                }
                catch (ProfileStoreException e)
                {
                    return (false, e.Message);
                }
            }
            case "kill":
            {
                var action = responder.StopContainer(target, automatic: true, by: "server command");
                return (action.Succeeded, action.Detail);
            }
            case "pause":
            {
                var action = responder.PauseContainer(target, automatic: true, by: "server command");
                return (action.Succeeded, action.Detail);
            }
            default:
                return (false, $"'{command.Kind}' is not carried out by the agent");
        }
    }

    public void Dispose() => _http.Dispose();
}
