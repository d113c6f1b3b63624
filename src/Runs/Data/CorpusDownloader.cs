// CorpusDownloader: fetches corpus files over HTTP (handler injectable for tests) and verifies their sha256.
// Guarantees: a file appears at its destination only complete and verified — bytes go to a temp file in the
// same directory, are hashed while written, and are renamed into place only on a match; on any failure the
// temp file is deleted. Checksum mismatches and HTTP/network failures raise one-line UserErrors naming the URL.
// Progress (one Spectre.Console bar per file; plain lines when not interactive) goes to the given console,
// by default stderr.
using System.Security.Cryptography;
using Seq2SeqRev.Cli;
using Spectre.Console;

namespace Seq2SeqRev.Runs.Data;

public sealed record DownloadItem(string Url, string Destination, string ExpectedSha256);

public sealed class CorpusDownloader(HttpMessageHandler? handler = null, IAnsiConsole? console = null, bool showProgress = true)
{
    /// <summary>Raised for network/HTTP failures so the resolver can turn them into an "offline" message.</summary>
    public sealed class DownloadFailed(string url, string reason) : Exception($"cannot download {url} ({reason})")
    {
        public string Url { get; } = url;
    }

    public async Task DownloadAllAsync(IReadOnlyList<DownloadItem> items, CancellationToken ct = default)
    {
        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.Timeout = TimeSpan.FromMinutes(10);
        if (!showProgress)
        {
            foreach (var item in items) await DownloadAsync(http, item, null, ct);
            return;
        }
        var ui = console ?? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!ui.Profile.Capabilities.Interactive)
        {
            // Redirected output (logs, CI): Spectre draws no live bar, so say what happens in plain lines.
            foreach (var item in items)
            {
                ui.WriteLine($"downloading {item.Url} -> {item.Destination}");
                await DownloadAsync(http, item, null, ct);
            }
            return;
        }
        await ui.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn())
            .StartAsync(async ctx =>
            {
                foreach (var item in items)
                    await DownloadAsync(http, item, ctx.AddTask(Path.GetFileName(item.Destination), autoStart: true), ct);
            });
    }

    private static async Task DownloadAsync(HttpClient http, DownloadItem item, ProgressTask? bar, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(item.Destination))!);
        string temp = $"{item.Destination}.{Guid.NewGuid():N}.part";
        try
        {
            string actual;
            try
            {
                using var response = await http.GetAsync(item.Url, HttpCompletionOption.ResponseHeadersRead, ct);
                if (!response.IsSuccessStatusCode)
                    throw new DownloadFailed(item.Url, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                long? total = response.Content.Headers.ContentLength;
                if (bar is not null)
                {
                    if (total is > 0) bar.MaxValue = total.Value; else bar.IsIndeterminate = true;
                }
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using (var body = await response.Content.ReadAsStreamAsync(ct))
                await using (var file = File.Create(temp))
                {
                    var buffer = new byte[1 << 16];
                    int n;
                    while ((n = await body.ReadAsync(buffer, ct)) > 0)
                    {
                        hash.AppendData(buffer, 0, n);
                        await file.WriteAsync(buffer.AsMemory(0, n), ct);
                        bar?.Increment(n);
                    }
                }
                actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            catch (HttpRequestException e) { throw new DownloadFailed(item.Url, e.Message); }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { throw new DownloadFailed(item.Url, "timed out"); }

            if (actual != item.ExpectedSha256)
                throw new UserError($"downloaded {item.Url}: sha256 mismatch (expected {item.ExpectedSha256}, got {actual}); file discarded");
            File.Move(temp, item.Destination, overwrite: true);
            bar?.StopTask();
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
