using Outdial.Server.Dialects.Aicaller;
using Outdial.Server.Dialects.BuildVoice;
using Outdial.Server.Dialects.Ivr;
using Outdial.Server.Dialects.Talkover;
using Outdial.Server.Dialects.Vodex;

namespace Outdial.Server.Dialects;

/// <summary>A seed dialect's switch (<c>Outdial:Dialects:{Name}:Enabled</c>, default true).</summary>
public sealed class DialectSwitch
{
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// Which seed dialects are served (configuration section <c>Outdial:Dialects</c>). A switched-off dialect's paths answer
/// 404 as if they did not exist.
/// </summary>
public sealed class DialectOptions
{
    public const string Section = "Outdial:Dialects";

    /// <summary>Seed 000, <c>POST /api/v1/trigger-call</c>.</summary>
    public DialectSwitch Vodex { get; set; } = new();

    /// <summary>Seed 001, <c>POST /api/v1/campaigns/{campaign_id}/call</c>.</summary>
    public DialectSwitch Talkover { get; set; } = new();

    /// <summary>Seed 002, <c>POST /v2/call</c> and <c>/v2/callresult</c>.</summary>
    public DialectSwitch Ivr { get; set; } = new();

    /// <summary>Seed 003, <c>POST /api/v1/calls/trigger</c>.</summary>
    public DialectSwitch BuildVoice { get; set; } = new();

    /// <summary>Seed 004, <c>POST /v1/phoneCalls</c>.</summary>
    public DialectSwitch Aicaller { get; set; } = new();
}

/// <summary>The OpenAPI tag of each seed dialect's operations.</summary>
public static class DialectTags
{
    public const string Vodex = "Vodex dialect (seed 000)";
    public const string Talkover = "Talkover dialect (seed 001)";
    public const string Ivr = "IVR dialect (seed 002)";
    public const string BuildVoice = "BuildVoiceAI dialect (seed 003)";
    public const string Aicaller = "aicaller dialect (seed 004)";
}

/// <summary>Maps every enabled seed dialect. Each dialect is a thin translation into <c>CallIntake</c> and back; no business rule lives in one.</summary>
public static class Dialects
{
    public static void MapDialects(this WebApplication app)
    {
        var options = app.Configuration.GetSection(DialectOptions.Section).Get<DialectOptions>() ?? new DialectOptions();
        if (options.Vodex.Enabled)
        {
            app.MapVodexDialect();
        }
        if (options.Ivr.Enabled)
        {
            app.MapIvrDialect();
        }
        if (options.Aicaller.Enabled)
        {
            app.MapAicallerDialect();
        }
        if (options.Talkover.Enabled)
        {
            app.MapTalkoverDialect();
        }
        if (options.BuildVoice.Enabled)
        {
            app.MapBuildVoiceDialect();
        }
    }
}
