using System.Diagnostics;
using System.Globalization;
using Outdial.Core.Compliance;

namespace Outdial.Bench;

/// <summary>
/// <c>--zones N</c>: times <see cref="CalleeZones.Resolve"/> (libphonenumber's parse, type and time-zone lookup) in process,
/// over N distinct numbers of six countries (cold: each parsed once), then the same N again (warm: the cache).
/// </summary>
internal static class ZonesBench
{
    /// <summary>Prefix and digits after it: New York, Florida's panhandle, London, Berlin, an Australian and an Indian mobile.</summary>
    private static readonly (string Prefix, int Digits)[] Prefixes = [("+1212", 7), ("+1850", 7), ("+4420", 8), ("+4930", 8), ("+614", 8), ("+9198", 8)];

    public static void Run(int count)
    {
        var numbers = new string[Math.Min(count, CalleeZones.CacheSize - 1)];
        for (var i = 0; i < numbers.Length; i++)
        {
            var (prefix, digits) = Prefixes[i % Prefixes.Length];
            var suffix = (2_000_000 + i).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '2');
            numbers[i] = prefix + suffix[^digits..];
        }
        CalleeZones.Resolve("+12125550123"); // loads the library's metadata
        var cold = Time(numbers);
        var warm = Time(numbers);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"zones    {numbers.Length} numbers of {Prefixes.Length} countries: cold {cold:0.00} µs/lookup (parse), warm {warm:0.000} µs/lookup (cache)"));
    }

    private static double Time(string[] numbers)
    {
        var watch = Stopwatch.StartNew();
        var zones = 0;
        foreach (var n in numbers)
        {
            zones += CalleeZones.Resolve(n).Zones.Count;
        }
        watch.Stop();
        GC.KeepAlive(zones);
        return watch.Elapsed.TotalMicroseconds / numbers.Length;
    }
}
