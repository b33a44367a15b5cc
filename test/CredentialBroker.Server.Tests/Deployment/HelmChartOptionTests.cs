using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Policy;
using Microsoft.Extensions.Configuration;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>What each option of the chart renders (one <c>ci/</c> values file per option); the defaults render none of it.</summary>
public sealed class HelmChartOptionTests
{
    [Test]
    public async Task Tls_from_a_secret_serves_https_with_client_certificates_for_x509_svids()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("tls-secret-values.yaml"));
        var settings = chart.Configuration();
        var broker = chart.Broker;

        Assert.Multiple(() =>
        {
            Assert.That(settings["Kestrel:Endpoints:Https:Url"], Is.EqualTo("https://0.0.0.0:8443"));
            Assert.That(settings["Kestrel:Endpoints:Https:Certificate:Path"], Is.EqualTo("/etc/credentialbroker/tls/tls.crt"));
            Assert.That(settings["Kestrel:Endpoints:Https:Certificate:KeyPath"], Is.EqualTo("/etc/credentialbroker/tls/tls.key"));
            Assert.That(settings["CredentialBroker:X509Bundles:corp.example"], Is.EqualTo("/etc/credentialbroker/x509-bundles/corp.example.pem"));
            Assert.That(broker["args"], Is.Null, "no --urls: Kestrel's endpoint decides");
            Assert.That((string?)broker["ports"]![0]!["name"], Is.EqualTo("https"));
            Assert.That((int?)broker["ports"]![0]!["containerPort"], Is.EqualTo(8443));
            Assert.That((string?)broker["readinessProbe"]!["httpGet"]!["scheme"], Is.EqualTo("HTTPS"));
            Assert.That(Volume(chart, "tls")["secret"]!["secretName"]!.ToString(), Is.EqualTo("broker-tls"));
            Assert.That(Volume(chart, "x509-bundles")["configMap"]!["name"]!.ToString(), Is.EqualTo("x509-bundles"));
            Assert.That(Mount(chart, "tls"), Is.EqualTo("/etc/credentialbroker/tls"));
            Assert.That((string?)chart.Single("Service")["spec"]!["ports"]![0]!["targetPort"], Is.EqualTo("https"));
            Assert.That(chart.SingleOrDefault("Certificate"), Is.Null);
        });
    }

    [Test]
    public async Task Tls_from_cert_manager_creates_a_certificate_and_mounts_its_secret()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("tls-cert-manager-values.yaml"));
        var certificate = chart.Single("Certificate");

        Assert.Multiple(() =>
        {
            Assert.That((string?)certificate["apiVersion"], Is.EqualTo("cert-manager.io/v1"));
            Assert.That((string?)certificate["spec"]!["secretName"], Is.EqualTo("cb-credentialbroker-tls"));
            Assert.That((string?)certificate["spec"]!["issuerRef"]!["name"], Is.EqualTo("corp-ca"));
            Assert.That((string?)certificate["spec"]!["issuerRef"]!["kind"], Is.EqualTo("ClusterIssuer"));
            Assert.That(certificate["spec"]!["dnsNames"]!.AsArray().Select(n => (string?)n), Is.EqualTo(new[] { "broker.corp.example" }));
            Assert.That(Volume(chart, "tls")["secret"]!["secretName"]!.ToString(), Is.EqualTo("cb-credentialbroker-tls"));
            Assert.That(chart.Configuration()["Kestrel:Endpoints:Https:Certificate:Path"], Is.EqualTo("/etc/credentialbroker/tls/tls.crt"));
        });
    }

    [Test]
    public async Task Spiffe_mounts_the_workload_api_from_the_csi_driver_and_serves_the_brokers_own_svid()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("spiffe-csi-values.yaml"));
        var settings = chart.Configuration();
        var helper = chart.PodSpec["initContainers"]!.AsArray().Single()!;
        var helperConfig = (string)chart.Documents.Single(d => (string?)d["metadata"]!["name"] == "cb-credentialbroker-spiffe-helper")["data"]!["helper.conf"]!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)helper["name"], Is.EqualTo("spiffe-helper"));
            Assert.That((string?)helper["restartPolicy"], Is.EqualTo("Always"), "a native sidecar: it starts before the broker and stays");
            Assert.That((string?)Volume(chart, "spiffe-workload-api")["csi"]!["driver"], Is.EqualTo("csi.spiffe.io"));
            Assert.That((bool?)Volume(chart, "spiffe-workload-api")["csi"]!["readOnly"], Is.True);
            Assert.That((string?)Volume(chart, "svid")["emptyDir"]!["medium"], Is.EqualTo("Memory"));
            Assert.That(helperConfig, Does.Contain("agent_address = \"/spiffe-workload-api/spire-agent.sock\""));
            Assert.That(helperConfig, Does.Contain("cert_dir = \"/run/credentialbroker/svid\""));
            Assert.That(Mount(chart, "svid"), Is.EqualTo("/run/credentialbroker/svid"));
            Assert.That(settings["Kestrel:Endpoints:Https:Certificate:Path"], Is.EqualTo("/run/credentialbroker/svid/svid.pem"));
            Assert.That(settings["Kestrel:Endpoints:Https:Certificate:KeyPath"], Is.EqualTo("/run/credentialbroker/svid/svid_key.pem"));
            Assert.That(settings["CredentialBroker:X509Bundles:corp.example"], Is.EqualTo("/run/credentialbroker/svid/bundle.pem"));
            Assert.That(chart.PodSpec["volumes"]!.AsArray().Any(v => (string?)v!["name"] == "tls"), Is.False, "no TLS Secret with the SVID");
        });
    }

    [Test]
    public async Task Autoscaling_scales_on_cpu_and_leaves_the_replica_count_to_the_autoscaler()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("autoscaling-values.yaml"));
        var hpa = chart.Single("HorizontalPodAutoscaler")["spec"]!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)hpa["scaleTargetRef"]!["name"], Is.EqualTo("cb-credentialbroker"));
            Assert.That((int?)hpa["minReplicas"], Is.EqualTo(3));
            Assert.That((int?)hpa["maxReplicas"], Is.EqualTo(10));
            Assert.That((string?)hpa["metrics"]![0]!["resource"]!["name"], Is.EqualTo("cpu"));
            Assert.That((int?)hpa["metrics"]![0]!["resource"]!["target"]!["averageUtilization"], Is.EqualTo(60));
            Assert.That(chart.Deployment["spec"]!["replicas"], Is.Null);
            Assert.That((string?)chart.Single("PodDisruptionBudget")["spec"]!["maxUnavailable"], Is.EqualTo("25%"));
            Assert.That(chart.PodSpec["affinity"]!["podAntiAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"], Is.Not.Null);
            Assert.That((string?)chart.PodSpec["topologySpreadConstraints"]![0]!["whenUnsatisfiable"], Is.EqualTo("DoNotSchedule"));
        });
    }

    [Test]
    public async Task The_network_policy_admits_the_named_namespaces_and_lets_out_only_dns_redis_and_the_backends()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("network-policy-values.yaml"));
        var spec = chart.Single("NetworkPolicy")["spec"]!;
        var ingress = spec["ingress"]!.AsArray();
        var egress = spec["egress"]!.AsArray();

        Assert.Multiple(() =>
        {
            Assert.That(spec["policyTypes"]!.AsArray().Select(t => (string?)t), Is.EqualTo(new[] { "Ingress", "Egress" }));
            Assert.That(ingress, Has.Count.EqualTo(2));
            Assert.That(ingress[0]!["from"]![0]!["namespaceSelector"]!["matchExpressions"]![0]!["values"]!.AsArray().Select(n => (string?)n),
                Is.EqualTo(new[] { "agents", "orchestrators" }));
            Assert.That((string?)ingress[1]!["from"]![0]!["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"], Is.EqualTo("monitoring"));
            Assert.That(ingress.Select(r => (int?)r!["ports"]![0]!["port"]), Is.All.EqualTo(8080));
            Assert.That(egress, Has.Count.EqualTo(3), "DNS, Redis, one extra backend; nothing else");
            Assert.That(egress[0]!["ports"]!.AsArray().Select(p => (int?)p!["port"]), Is.All.EqualTo(53));
            Assert.That((string?)egress[1]!["to"]![0]!["ipBlock"]!["cidr"], Is.EqualTo("10.10.0.0/24"));
            Assert.That(egress[1]!["ports"]!.AsArray().Select(p => (int?)p!["port"]), Is.EqualTo(new[] { 6379, 26379 }));
            Assert.That((string?)egress[2]!["to"]![0]!["ipBlock"]!["cidr"], Is.EqualTo("10.30.0.0/16"));
        });
    }

    [Test]
    public async Task The_service_monitor_scrapes_metrics_on_the_service_port()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("service-monitor-values.yaml"));
        var monitor = chart.Single("ServiceMonitor");
        var endpoint = monitor["spec"]!["endpoints"]![0]!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)monitor["apiVersion"], Is.EqualTo("monitoring.coreos.com/v1"));
            Assert.That((string?)monitor["metadata"]!["labels"]!["release"], Is.EqualTo("prometheus"));
            Assert.That((string?)endpoint["port"], Is.EqualTo("http"));
            Assert.That((string?)endpoint["path"], Is.EqualTo("/metrics"));
            Assert.That((string?)endpoint["interval"], Is.EqualTo("15s"));
            Assert.That(monitor["spec"]!["namespaceSelector"]!["matchNames"]!.AsArray().Select(n => (string?)n), Is.EqualTo(new[] { "broker" }));
        });
    }

    [Test]
    public async Task Policy_documents_come_from_a_config_map_mounted_as_a_watched_directory_and_compile()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("policy-values.yaml"));
        var configMap = chart.Documents.Single(d => (string?)d["metadata"]!["name"] == "cb-credentialbroker-policy");
        var mount = chart.Broker["volumeMounts"]!.AsArray().Single(m => (string?)m!["name"] == "policy")!;
        var directory = Directory.CreateTempSubdirectory("cb-policy-");
        try
        {
            foreach (var (file, text) in configMap["data"]!.AsObject())
            {
                await File.WriteAllTextAsync(Path.Combine(directory.FullName, file), (string)text!);
            }

            var policy = PolicyLoader.Load(directory.FullName);

            Assert.Multiple(() =>
            {
                Assert.That(configMap["data"]!.AsObject().Select(d => d.Key), Is.EquivalentTo(new[] { "dataclasses.yaml", "rules.yaml" }));
                Assert.That(chart.Configuration()["CredentialBroker:Policy:Path"], Is.EqualTo("/etc/credentialbroker/policy"));
                Assert.That((string?)mount["mountPath"], Is.EqualTo("/etc/credentialbroker/policy"));
                Assert.That(mount["subPath"], Is.Null, "a subPath mount never sees ConfigMap updates");
                Assert.That(chart.Deployment["spec"]!["template"]!["metadata"]!["annotations"]!.AsObject().Select(a => a.Key),
                    Is.EqualTo(new[] { "checksum/config" }), "a policy change reloads in place; it is no rollout");
                Assert.That(policy.RuleIds, Does.Contain("allow-corp"));
            });
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public async Task An_existing_policy_config_map_is_mounted_and_none_is_created()
    {
        var chart = await Helm.TemplateAsync(Helm.RequiredValues, "policy.enabled=true", "policy.configMapName=broker-policy");

        Assert.Multiple(() =>
        {
            Assert.That((string?)Volume(chart, "policy")["configMap"]!["name"], Is.EqualTo("broker-policy"));
            Assert.That(chart.Kinds.Count(k => k == "ConfigMap"), Is.EqualTo(1), "only the settings");
        });
    }

    [Test]
    public async Task Sentinel_adds_the_service_name_to_the_connection_string_from_the_secret()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("redis-sentinel-values.yaml"));
        var connection = HelmChartTests.SecretsFor(chart)["ConnectionStrings__Redis"];
        var parsed = StackExchange.Redis.ConfigurationOptions.Parse(connection!);

        Assert.Multiple(() =>
        {
            Assert.That(chart.Environment["CB_REDIS_CONNECTION"], Is.EqualTo("secret:broker-redis-sentinels/connection-string"));
            Assert.That(chart.Environment["ConnectionStrings__Redis"], Is.EqualTo("$(CB_REDIS_CONNECTION),serviceName=broker"));
            Assert.That(parsed.ServiceName, Is.EqualTo("broker"));
            Assert.That(parsed.Password, Is.EqualTo("secret"), "the credentials stay in the Secret");
        });
    }

    [Test]
    public async Task Cluster_and_standalone_use_the_secrets_connection_string_as_it_is()
    {
        var cluster = await Helm.TemplateAsync(Helm.CiValues("redis-cluster-values.yaml"));
        var standalone = await Helm.TemplateAsync(Helm.RequiredValues);

        Assert.Multiple(() =>
        {
            Assert.That(cluster.Environment["ConnectionStrings__Redis"], Is.EqualTo("secret:broker-redis-cluster/connection-string"));
            Assert.That(cluster.Environment.ContainsKey("CB_REDIS_CONNECTION"), Is.False);
            Assert.That(cluster.Configuration()["CredentialBroker:Redis:ExpiryIndexShards"], Is.EqualTo("64"));
            Assert.That(cluster.Configuration()["CredentialBroker:Redis:SocIndexShards"], Is.EqualTo("64"));
            Assert.That(cluster.Configuration()["CredentialBroker:Redis:WorkQueueShards"], Is.EqualTo("32"));
            Assert.That(cluster.Configuration()["CredentialBroker:Redis:WaitForReplicas"], Is.EqualTo("1"));
            Assert.That(standalone.Configuration()["CredentialBroker:Redis:WaitForReplicas"], Is.EqualTo("0"));
            Assert.That(standalone.Configuration()["CredentialBroker:Redis:ReplicaWaitTimeout"], Is.EqualTo("00:00:00.500"));
            Assert.That(standalone.Environment["ConnectionStrings__Redis"], Is.EqualTo("secret:broker-redis/connection-string"));
            Assert.That(standalone.Configuration()["CredentialBroker:Redis:ExpiryIndexShards"], Is.EqualTo("16"));
        });
    }

    [Test]
    public async Task Downstream_connection_strings_come_from_secrets_and_never_reach_the_config_map()
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues("downstream-values.yaml"));
        var settings = chart.Configuration();
        var egress = chart.Single("NetworkPolicy")["spec"]!["egress"]!.AsArray();

        Assert.Multiple(() =>
        {
            Assert.That(chart.Environment["CredentialBroker__Downstream__Providers__payments-db__ConnectionString"], Is.EqualTo("secret:payments-db-admin/connection-string"));
            Assert.That(chart.Environment["CredentialBroker__Downstream__Providers__cache__ConnectionString"], Is.EqualTo("secret:cache-admin/connection-string"));
            Assert.That(chart.Environment.Keys.Any(k => k.Contains("vault_db", StringComparison.Ordinal)), Is.False, "vault logs in with a mounted secret id");
            Assert.That(chart.AppSettingsJson, Does.Not.Contain("ConnectionString"));
            Assert.That(settings["CredentialBroker:Downstream:Providers:payments-db:Kind"], Is.EqualTo("postgresql"));
            Assert.That(settings["CredentialBroker:Downstream:Providers:payments-db:Roles:0"], Is.EqualTo("payments_reader"));
            Assert.That(settings["CredentialBroker:Downstream:Providers:vault_db:Vault:Auth:SecretIdFile"], Is.EqualTo("/etc/credentialbroker/downstream/vault_db/secret-id"));
            Assert.That(Mount(chart, "downstream-vault-db"), Is.EqualTo("/etc/credentialbroker/downstream/vault_db"));
            Assert.That(egress.Select(r => (string?)r!["to"]![0]!["ipBlock"]?["cidr"]).OfType<string>(), Is.EqualTo(new[] { "10.20.0.0/16", "10.30.0.0/16" }));
            Assert.That((string?)egress[1]!["to"]![0]!["namespaceSelector"]!["matchLabels"]!["kubernetes.io/metadata.name"], Is.EqualTo("redis"));
        });
    }

    [Test]
    public async Task The_defaults_render_no_optional_resource()
    {
        var chart = await Helm.TemplateAsync(Helm.RequiredValues);
        var settings = chart.Configuration();

        Assert.Multiple(() =>
        {
            Assert.That(chart.Kinds, Has.None.AnyOf("HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor", "Certificate"));
            Assert.That(settings.GetSection(CredentialBrokerOptions.SectionName).GetSection("Downstream").Exists(), Is.False);
            Assert.That(chart.Environment.Keys, Is.EquivalentTo(new[] { "ASPNETCORE_ENVIRONMENT", "ConnectionStrings__Redis" }));
        });
    }

    private static JsonNode Volume(RenderedChart chart, string name) =>
        chart.PodSpec["volumes"]!.AsArray().Single(v => (string?)v!["name"] == name)!;

    private static string? Mount(RenderedChart chart, string name) =>
        (string?)chart.Broker["volumeMounts"]!.AsArray().Single(m => (string?)m!["name"] == name)!["mountPath"];
}
