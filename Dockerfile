# syntax=docker/dockerfile:1
# The thin host (samples/LlmGateway.Server) as a container image: deploy/README.md says how to run it, alone or with
# docker-compose.yml; k8s/ has Kubernetes manifests. tests/LlmGateway.Deployment.Tests checks this file against the host.
#
#   docker build -t llmgateway .
#   docker run --rm -p 8080:8080 -e LlmGateway__Auth__AdminKey="$ADMIN_KEY" -e OPENAI_API_KEY="$OPENAI_API_KEY" llmgateway

# ---- build: the SDK image, restore and publish in Release --------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# NuGet's package folder, kept between builds by BuildKit's cache mounts below.
ENV NUGET_PACKAGES=/nuget/packages
# .dockerignore keeps tests, benchmarks, docs, bin/obj and .git out of the context: only what the host's build reads.
COPY . .
RUN --mount=type=cache,id=llmgateway-nuget,target=/nuget/packages \
    dotnet restore samples/LlmGateway.Server/LlmGateway.Server.csproj
RUN --mount=type=cache,id=llmgateway-nuget,target=/nuget/packages \
    dotnet publish samples/LlmGateway.Server -c Release --no-restore -o /app -p:UseAppHost=false

# ---- runtime: the ASP.NET Core runtime image (Ubuntu 24.04), no SDK -----------------------------------------------
# Not the -chiseled variant: that one has no shell, and the HEALTHCHECK below needs bash (neither image has curl or
# wget, and the host has no health-probe mode of its own). Kubernetes ignores HEALTHCHECK and uses its own probes
# (k8s/deployment.yaml), so an image for Kubernetes only could use mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
# here, without the HEALTHCHECK and the COPY of its script.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app

# ASPNETCORE_HTTP_PORTS: Kestrel listens on this port on every interface.
# URLS (empty): the host's appsettings.json sets Urls to http://localhost:5080 for local runs, and that setting outranks
#   ASPNETCORE_HTTP_PORTS (and ASPNETCORE_URLS, which is read before appsettings.json); an unprefixed environment
#   variable is read after appsettings.json, so this empty one clears it and ASPNETCORE_HTTP_PORTS applies.
# LlmGateway__Auth__Mode: the host's appsettings.json sets mode None, which serves loopback only and stops the host when
#   it listens on any other address, as it does in a container. Gateway mode takes gateway keys: give the container
#   LlmGateway__Auth__AdminKey (from a secret) to create them through the admin API, or LlmGateway__Auth__Keys__0__KeyHash.
# LlmGateway__DataDirectory: where the host keeps its SQLite database (keys created through the admin API, usage and
#   budgets, resource ownership), the volume below, so they outlive the container. Unused when LlmGateway__Redis is set
#   and LlmGateway__Database__Provider is not (docs/configuration.md, "Database").
ENV ASPNETCORE_HTTP_PORTS=8080 \
    URLS="" \
    LlmGateway__Auth__Mode=Gateway \
    LlmGateway__DataDirectory=/data

COPY --from=build /app ./
COPY --chmod=0755 deploy/healthcheck.sh /usr/local/bin/llmgateway-healthcheck

# The data directory, owned by the non-root user below; a volume, so a new container finds the same database.
RUN mkdir -p /data && chown "$APP_UID" /data
VOLUME ["/data"]

# The non-root user of the .NET images ('app'), by its numeric id so Kubernetes' runAsNonRoot can verify it.
USER $APP_UID
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["llmgateway-healthcheck"]
ENTRYPOINT ["dotnet", "LlmGateway.Server.dll"]
