using System.Text.RegularExpressions;
using LlmGateway.Deployment.Tests.Infrastructure;

namespace LlmGateway.Deployment.Tests.Checks;

/// <summary>The GitHub workflows and issue forms: valid YAML, and each workflow doing its job.</summary>
internal static partial class GitHubCheck
{
    public const string Workflows = ".github/workflows";
    public const string IssueForms = ".github/ISSUE_TEMPLATE";

    public static List<string> Problems(DeploymentFiles files)
    {
        var problems = new List<string>();
        var workflows = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var file in DeploymentFiles.List(Workflows, "*.yml"))
        {
            object? workflow;
            try
            {
                workflow = Yaml.Document(files.Read(file));
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                problems.Add($"{file}: not valid YAML: {ex.Message}");
                continue;
            }

            workflows[Path.GetFileName(file)] = workflow;
            if (workflow.At("on") is null || workflow.Map("jobs").Count == 0)
            {
                problems.Add($"{file}: a workflow needs 'on' and at least one job.");
            }

            foreach (var (job, definition) in workflow.Map("jobs"))
            {
                foreach (var step in definition.List("steps"))
                {
                    if (step.Text("uses") is { } uses && !PinnedAction().IsMatch(uses))
                    {
                        problems.Add($"{file}: job {job} uses {uses}, which is not pinned to a version (owner/action@vN or a commit).");
                    }
                }
            }
        }

        if (!workflows.TryGetValue("ci.yml", out var ci))
        {
            problems.Add($"{Workflows}/ci.yml is missing.");
        }
        else
        {
            if (!ci.Map("on").ContainsKey("push") || !ci.Map("on").ContainsKey("pull_request"))
            {
                problems.Add($"{Workflows}/ci.yml: does not run on pushes and pull requests.");
            }

            if (!Runs(ci).Any(static r => r.Contains(".ci/run", StringComparison.Ordinal) || r.Contains("dotnet test", StringComparison.Ordinal)))
            {
                problems.Add($"{Workflows}/ci.yml: no step runs .ci/run or dotnet test.");
            }

            if (!Runs(ci).Any(static r => r.Contains("apt-get install", StringComparison.Ordinal) && r.Contains("redis-server", StringComparison.Ordinal))
                && !Runs(ci).Any(static r => r.Contains(".ci/run", StringComparison.Ordinal)))
            {
                problems.Add($"{Workflows}/ci.yml: the tests need the redis-server binary, and nothing installs it.");
            }
        }

        if (!workflows.TryGetValue("security.yml", out var security))
        {
            problems.Add($"{Workflows}/security.yml is missing.");
        }
        else
        {
            var runs = string.Join('\n', Runs(security));
            foreach (var needed in new[] { "--vulnerable --include-transitive", "--deprecated" })
            {
                if (!runs.Contains(needed, StringComparison.Ordinal))
                {
                    problems.Add($"{Workflows}/security.yml: no step lists packages with {needed}.");
                }
            }

            var uses = Uses(security).ToList();
            if (!uses.Any(static u => u.StartsWith("github/codeql-action/init@", StringComparison.Ordinal)) || !uses.Any(static u => u.StartsWith("github/codeql-action/analyze@", StringComparison.Ordinal)))
            {
                problems.Add($"{Workflows}/security.yml: CodeQL needs github/codeql-action/init and analyze.");
            }

            if (!Steps(security).Any(static s => s.Text("uses")?.StartsWith("github/codeql-action/init@", StringComparison.Ordinal) == true && s.Text("with", "languages") == "csharp"))
            {
                problems.Add($"{Workflows}/security.yml: CodeQL does not analyse csharp.");
            }
        }

        if (!workflows.TryGetValue("release.yml", out var release))
        {
            problems.Add($"{Workflows}/release.yml is missing.");
        }
        else
        {
            if (!release.List("on", "push", "tags").OfType<string>().Contains("v*"))
            {
                problems.Add($"{Workflows}/release.yml: does not run on pushed tags v*.");
            }

            var runs = string.Join('\n', Runs(release));
            foreach (var needed in new[] { "dotnet pack", "-p:Version=${GITHUB_REF_NAME#v}", "dotnet nuget push", "gh release create" })
            {
                if (!runs.Contains(needed, StringComparison.Ordinal))
                {
                    problems.Add($"{Workflows}/release.yml: no step runs '{needed}'.");
                }
            }

            if (!files.Read($"{Workflows}/release.yml").Contains("secrets.NUGET_API_KEY", StringComparison.Ordinal))
            {
                problems.Add($"{Workflows}/release.yml: does not push with secrets.NUGET_API_KEY.");
            }
        }

        foreach (var file in DeploymentFiles.List(IssueForms, "*.yml"))
        {
            object? form;
            try
            {
                form = Yaml.Document(files.Read(file));
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                problems.Add($"{file}: not valid YAML: {ex.Message}");
                continue;
            }

            if (Path.GetFileName(file) != "config.yml" && (form.Text("name") is null || form.Text("description") is null || form.List("body").Count == 0))
            {
                problems.Add($"{file}: an issue form needs name, description and body.");
            }
        }

        return problems;
    }

    private static IEnumerable<object?> Steps(object? workflow) => workflow.Map("jobs").Values.SelectMany(static j => j.List("steps"));

    private static IEnumerable<string> Runs(object? workflow) => Steps(workflow).Select(static s => s.Text("run")).OfType<string>();

    private static IEnumerable<string> Uses(object? workflow) => Steps(workflow).Select(static s => s.Text("uses")).OfType<string>();

    [GeneratedRegex(@"^[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})$")]
    private static partial Regex PinnedAction();
}
