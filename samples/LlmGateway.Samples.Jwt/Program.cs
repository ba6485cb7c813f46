using System.Security.Claims;
using LlmGateway;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

// An ASP.NET Core app whose users sign in with JWT bearer tokens (from Entra ID, Auth0, Keycloak, or here a shared
// signing key) and call the gateway's OpenAI-compatible endpoints with them. The token's "tenant" claim says who is
// limited and billed, its "tier" claim which limits apply (Tiers in appsettings.json): no gateway keys to hand out.
var builder = WebApplication.CreateBuilder(args);

builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName))
    .AddOpenAI();

// The app's own authentication. A real identity provider gives Authority (and its signing keys) instead of a shared key.
var jwt = builder.Configuration.GetSection("Jwt");
var signingKey = jwt["SigningKey"] is { Length: > 0 } key
    ? Convert.FromBase64String(key)
    : throw new InvalidOperationException("Set Jwt:SigningKey (base64, at least 32 bytes), e.g. with the Jwt__SigningKey environment variable.");
builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
    .AddJwtBearer(options =>
    {
        options.MapInboundClaims = false; // keep the claims as the token names them: "tenant", "tier", "sub"
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = jwt["Issuer"],
            ValidAudience = jwt["Audience"],
            IssuerSigningKey = new SymmetricSecurityKey(signingKey),
        };
    });
builder.Services.AddAuthorization();

// Each tier's policy: allowed models, requests and tokens per minute, budgets. Read once; a caller copies what it needs.
var tiers = builder.Configuration.GetSection("Tiers").Get<Dictionary<string, KeyPolicyOptions>>() ?? [];

// A signed-in user with a tenant claim is the gateway caller "tenant:<tenant>": every user of a tenant shares its
// limits, and usage is counted under that id. A token without a tenant, or with an unknown tier, is not a gateway
// caller (null); the gateway then looks for a gateway key, as it would without this mapping.
builder.Services.AddLlmGatewayCallers(user =>
    user.FindFirstValue("tenant") is { Length: > 0 } tenant && tiers.TryGetValue(user.FindFirstValue("tier") ?? "free", out var policy)
        ? new GatewayCaller("tenant:" + tenant, policy)
        : null);

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/", static () => "LlmGateway JWT sample: the gateway under /v1, for callers with a signed JWT (Authorization: Bearer <token>).");

// The gateway's endpoints, for signed-in users only. The admin API (LlmGateway:Auth:AdminKey) reports usage per tenant.
app.MapLlmGateway().RequireAuthorization();
app.MapLlmGatewayAdmin();

app.Run();
