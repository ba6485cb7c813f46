using Yarp.ReverseProxy.Configuration;

// A bare YARP pass-through, the floor for one .NET HTTP hop: every request goes unchanged to the upstream given as
// --upstream <url> (or the Upstream setting), with logging off. run.sh measures the gateway against it.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var upstream = builder.Configuration["Upstream"] ?? throw new InvalidOperationException("Pass the upstream's URL as --upstream http://127.0.0.1:<port>.");
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal) { ["upstream"] = new DestinationConfig { Address = upstream } } }]);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
