using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Outdial.Core.Accounts;
using Outdial.Core.Telephony;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony.Tests;

/// <summary><c>AddTwilioTelephony</c>: registered only when configured; refuses to start without a usable public URL.</summary>
public sealed class TwilioServicesTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        ProviderServices.Build(settings, (services, config) => services.AddTwilioTelephony(config));

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Outdial:PublicBaseUrl"] = "https://outdial.example.com",
        ["Outdial:Twilio:AccountSid"] = Twilio.AccountSid,
        ["Outdial:Twilio:AuthToken"] = "token",
        ["Outdial:Twilio:CallsPerSecond"] = "5",
        ["Outdial:Twilio:RequestTimeout"] = "00:00:20",
    };

    [Fact]
    public void AddTwilioTelephony_Configured_RegistersProviderWithOptions()
    {
        using var sp = Build(Valid());

        var provider = Assert.IsType<TwilioProvider>(Assert.Single(sp.GetServices<ITelephonyProvider>()));
        Assert.Same(provider, sp.GetRequiredService<TwilioProvider>());
        Assert.Equal(("twilio", (double?)5), (provider.Name, provider.CallsPerSecond));
        Assert.Equal(TimeSpan.FromSeconds(20), sp.GetRequiredService<IOptions<TwilioOptions>>().Value.RequestTimeout);
        Assert.NotNull(sp.GetRequiredService<TwilioHealth>());
    }

    [Fact]
    public void AddTwilioTelephony_NotConfigured_RegistersNothing()
    {
        using var sp = Build(new() { ["Outdial:PublicBaseUrl"] = "https://outdial.example.com" });

        Assert.Empty(sp.GetServices<ITelephonyProvider>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("outdial.example.com")]
    [InlineData("ftp://outdial.example.com")]
    public void AddTwilioTelephony_PublicBaseUrlMissingOrNotHttp_FailsValidation(string? publicBaseUrl)
    {
        var settings = Valid();
        settings["Outdial:PublicBaseUrl"] = publicBaseUrl;
        using var sp = Build(settings);

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<OutdialOptions>>().Value);

        Assert.Contains("PublicBaseUrl", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Outdial:Twilio:AccountSid", "XX00000000000000000000000000000000")]
    [InlineData("Outdial:Twilio:AuthToken", "")]
    [InlineData("Outdial:Twilio:ApiKeySid", "SK123")]
    public void AddTwilioTelephony_InvalidTwilioSettings_FailValidation(string key, string value)
    {
        var settings = Valid();
        settings[key] = value;
        using var sp = Build(settings);

        Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<TwilioOptions>>().Value);
    }
}
