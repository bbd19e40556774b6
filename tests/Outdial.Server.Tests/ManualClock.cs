namespace Outdial.Server.Tests;

/// <summary>
/// A <see cref="TimeProvider"/> that moves only when told to; timers fire (on the thread pool) when <see cref="Advance"/>
/// passes their due time. With <paramref name="tickPerRead"/>, every reading also moves it on by that much (without firing
/// timers), so code that paces work by "now" — e.g. calls per second — sees time pass within one clock step.
/// </summary>
public sealed class ManualClock(DateTimeOffset start, TimeSpan tickPerRead = default) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            _now += tickPerRead;
            return _now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves time forward and fires every timer that became due, in due order.</summary>
    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            due = [.. _timers.Where(t => t.DueAt <= _now).OrderBy(t => t.DueAt)];
            foreach (var t in due)
            {
                if (t.Period is { } p && p > TimeSpan.Zero)
                {
                    t.DueAt = _now + p;
                }
                else
                {
                    _timers.Remove(t);
                }
            }
        }
        foreach (var t in due)
        {
            ThreadPool.QueueUserWorkItem(_ => t.Fire());
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime)
    {
        var fireNow = false;
        lock (_gate)
        {
            _timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }
            if (dueTime <= TimeSpan.Zero)
            {
                fireNow = true;
                if (timer.Period is { } p && p > TimeSpan.Zero)
                {
                    timer.DueAt = _now + p;
                    _timers.Add(timer);
                }
            }
            else
            {
                timer.DueAt = _now + dueTime;
                _timers.Add(timer);
            }
        }
        if (fireNow)
        {
            ThreadPool.QueueUserWorkItem(_ => timer.Fire());
        }
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset DueAt { get; set; }

        public TimeSpan? Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Period = period == Timeout.InfiniteTimeSpan ? null : period;
            clock.Schedule(this, dueTime);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => clock.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
