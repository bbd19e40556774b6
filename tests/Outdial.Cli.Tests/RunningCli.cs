using System.Diagnostics;
using System.Threading.Channels;

namespace Outdial.Cli.Tests;

/// <summary>A CLI process that keeps running (e.g. <c>webhooks listen</c>), its output read line by line as it comes.</summary>
public sealed class RunningCli : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _stderr = Channel.CreateUnbounded<string>();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderrSeen = [];

    private RunningCli(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stdout)
                {
                    _stdout.Add(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _stderr.Writer.TryWrite(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static RunningCli Start(IDictionary<string, string?> env, params string[] args)
    {
        var process = Process.Start(CliRunner.StartInfo(args, env))!;
        process.StandardInput.Close();
        return new RunningCli(process);
    }

    /// <summary>The stdout lines so far.</summary>
    public IReadOnlyList<string> Stdout
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    /// <summary>Every stderr line read so far (by <see cref="WaitForStderrAsync"/>).</summary>
    public IReadOnlyList<string> StderrSeen => _stderrSeen;

    /// <summary>Reads stderr until a line starts with <paramref name="prefix"/> (at most 30 s); returns that line.</summary>
    public async Task<string> WaitForStderrAsync(string prefix)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var line = await _stderr.Reader.ReadAsync(timeout.Token);
                _stderrSeen.Add(line);
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no stderr line starting with '{prefix}'; seen: {string.Join(" | ", _stderrSeen)}; stdout: {string.Join(" | ", Stdout)}");
        }
    }

    /// <summary>Waits for the process to exit (at most 30 s) and returns its exit code; the rest of stderr is then in <see cref="StderrSeen"/>.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"still running; stderr: {string.Join(" | ", _stderrSeen)}; stdout: {string.Join(" | ", Stdout)}");
        }
        _process.WaitForExit(); // flushes the asynchronous readers
        while (_stderr.Reader.TryRead(out var line))
        {
            _stderrSeen.Add(line);
        }
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
