// The manifest-to-objects mapping of `moltbot-supervisord export` (moltbot_export), on loaded
// manifests: ports, probes, secrets, volumes, scheduling of rescue, and every diagnostic at its
// manifest line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "load_fixture.h"
#include "moltbot/export/export_fleet.h"

using namespace moltbot;
using namespace moltbot::fleet_export;
using moltbot::test::check_at;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using config::Severity;

namespace {

constexpr const char* plain_fleet = R"(
version: 1
profiles:
  main:
    port: 21789
    state_dir: state/main
  rescue:
    role: rescue
    port: 22001
    state_dir: state/rescue
)";

FleetExport export_text(ManifestFixture& fixture, std::string_view yaml, Target target = Target::kubernetes) {
  const auto loaded = fixture.load(yaml);
  ExportOptions options;
  options.target = target;
  options.image = "localhost/moltbot-gateway:test";
  return export_fleet(clean_manifest(loaded), options);
}

const Object& find_object(const FleetExport& exported, const std::string& kind, const std::string& name) {
  auto it = std::find_if(exported.objects.begin(), exported.objects.end(), [&](const Object& object) {
    return object["kind"] == kind && object["metadata"]["name"] == name;
  });
  REQUIRE(it != exported.objects.end());
  return *it;
}

const Object& pod_spec(const FleetExport& exported, const std::string& name) {
  return find_object(exported, "StatefulSet", name)["spec"]["template"]["spec"];
}

// The same for either target: a StatefulSet's pod template, or the Pod.
const Object& target_pod_spec(const FleetExport& exported, Target target, const std::string& name) {
  if (target == Target::kubernetes) return pod_spec(exported, name);
  return find_object(exported, "Pod", name)["spec"];
}

const Object& container(const FleetExport& exported, const std::string& name) {
  return pod_spec(exported, name)["containers"][0];
}

const config::Diagnostic* find_diagnostic(const FleetExport& exported, const std::string& code,
                                          const std::string& profile) {
  for (const auto& d : exported.diagnostics)
    if (d.code == code && d.profile == profile) return &d;
  return nullptr;
}

}  // namespace

TEST_CASE("every profile is a StatefulSet of one replica with a Service; rescue outranks main",
          "[export]") {
  ManifestFixture fixture;
  const FleetExport exported = export_text(fixture, plain_fleet);
  INFO(listing(exported.diagnostics));
  REQUIRE_FALSE(config::has_errors(exported.diagnostics));

  const Object& main_set = find_object(exported, "StatefulSet", "moltbot-main");
  CHECK(main_set["spec"]["replicas"] == 1);
  CHECK(main_set["spec"]["updateStrategy"]["type"] == "OnDelete");
  CHECK(main_set["spec"]["serviceName"] == "moltbot-main");
  CHECK(find_object(exported, "Service", "moltbot-main")["spec"]["selector"] ==
        main_set["spec"]["selector"]["matchLabels"]);

  const int main_priority = find_object(exported, "PriorityClass", "moltbot-main")["value"];
  const int rescue_priority = find_object(exported, "PriorityClass", "moltbot-rescue")["value"];
  CHECK(rescue_priority > main_priority);
  CHECK(pod_spec(exported, "moltbot-main")["priorityClassName"] == "moltbot-main");
  CHECK(pod_spec(exported, "moltbot-rescue")["priorityClassName"] == "moltbot-rescue");

  // The rescue pod's required anti-affinity selects the main pod's labels, per node.
  CHECK_FALSE(pod_spec(exported, "moltbot-main").contains("affinity"));
  const Object& terms =
      pod_spec(exported, "moltbot-rescue")["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"];
  REQUIRE(terms.size() == 1);
  CHECK(terms[0]["topologyKey"] == "kubernetes.io/hostname");
  const Object& main_labels = main_set["spec"]["template"]["metadata"]["labels"];
  for (const auto& [key, value] : terms[0]["labelSelector"]["matchLabels"].items()) CHECK(main_labels[key] == value);
  const Object& rescue_labels = find_object(exported, "StatefulSet", "moltbot-rescue")["spec"]["template"]["metadata"]["labels"];
  CHECK(rescue_labels["app.kubernetes.io/component"] == "rescue");  // rescue never repels itself
}

TEST_CASE("the footprint's named ports are exposed, the CDP range is not", "[export]") {
  ManifestFixture fixture;
  const FleetExport exported = export_text(fixture, plain_fleet);
  const Object& ports = container(exported, "moltbot-main")["ports"];
  std::vector<std::pair<std::string, int>> seen;
  for (const auto& port : ports) {
    const std::string name = port["name"];
    CHECK(name.size() <= 15);
    CHECK(std::none_of(name.begin(), name.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }));
    CHECK_FALSE(port.contains("hostPort"));
    seen.emplace_back(name, port["containerPort"].get<int>());
  }
  const std::vector<std::pair<std::string, int>> expected{
      {"gateway", 21789}, {"bridge", 21790}, {"browser-control", 21791}, {"relay", 21792}, {"canvas", 21793}};
  CHECK(seen == expected);  // 21800..21899, the CDP range, is absent
  CHECK(find_object(exported, "Service", "moltbot-main")["spec"]["ports"].size() == 5);

  SECTION("podman publishes each on the host's loopback at the same number") {
    ManifestFixture podman_fixture;
    const FleetExport pods = export_text(podman_fixture, plain_fleet, Target::podman);
    const Object& pod = find_object(pods, "Pod", "moltbot-main");
    for (const auto& port : pod["spec"]["containers"][0]["ports"]) {
      CHECK(port["hostPort"] == port["containerPort"]);
      CHECK(port["hostIP"] == "127.0.0.1");
    }
    CHECK(pod["spec"]["volumes"][0]["hostPath"]["path"] == (podman_fixture.root() / "state/main").string());
    CHECK(pods.objects.size() == 2);  // no Service, StatefulSet or PriorityClass on one host
  }
}

TEST_CASE("health maps to startup, liveness and readiness probes", "[export]") {
  ManifestFixture fixture;
  const FleetExport exported = export_text(fixture, R"(
version: 1
defaults:
  health: {type: http, path: /live, interval: 4s, timeout: 1500ms, failures: 5, start_period: 20s,
           start_interval: 2s, ready_path: /readyz}
profiles:
  main: {port: 21789, state_dir: state/main}
  tcp: {port: 22001, state_dir: state/tcp, health: {type: tcp}}
  none: {port: 23001, state_dir: state/none, health: {type: none}}
  exec: {port: 24001, state_dir: state/exec, health: {type: exec, command: [/usr/local/bin/probe, x]}}
)");
  const Object& main = container(exported, "moltbot-main");
  CHECK(main["livenessProbe"]["httpGet"]["path"] == "/live");
  CHECK(main["livenessProbe"]["httpGet"]["port"] == 21789);
  CHECK(main["livenessProbe"]["periodSeconds"] == 4);
  CHECK(main["livenessProbe"]["timeoutSeconds"] == 2);  // 1.5 s rounded up, with a note
  CHECK(main["livenessProbe"]["failureThreshold"] == 5);
  CHECK(main["startupProbe"]["httpGet"]["path"] == "/startupz");  // the openclaw layout's startup_path
  CHECK(main["startupProbe"]["periodSeconds"] == 2);
  CHECK(main["startupProbe"]["failureThreshold"] == 20);  // (20 s + 5 x 4 s) / 2 s
  CHECK(main["readinessProbe"]["httpGet"]["path"] == "/readyz");
  const auto* rounded = find_diagnostic(exported, "export-rounded", "main");
  REQUIRE(rounded);
  CHECK(rounded->severity == Severity::note);
  CHECK(rounded->where.line == 3);

  const Object& tcp = container(exported, "moltbot-tcp");
  CHECK(tcp["livenessProbe"]["tcpSocket"]["port"] == 22001);
  CHECK(tcp["startupProbe"]["tcpSocket"]["port"] == 22001);  // /startupz is asked only over http
  CHECK_FALSE(tcp.contains("readinessProbe"));

  const Object& none = container(exported, "moltbot-none");
  CHECK_FALSE(none.contains("livenessProbe"));
  CHECK_FALSE(none.contains("startupProbe"));

  CHECK(container(exported, "moltbot-exec")["livenessProbe"]["exec"]["command"][0] == "/usr/local/bin/probe");
  const auto* host_path = find_diagnostic(exported, "export-host-path", "exec");
  REQUIRE(host_path);
  CHECK(host_path->severity == Severity::warning);
  CHECK(host_path->where.line == 9);
}

TEST_CASE("env_file and secret-named values go into the Secret, never inline", "[export]") {
  ManifestFixture fixture;
  fixture.write_private("main.env", "OPENCLAW_GATEWAY_TOKEN=file-token-123\nexport PLAIN_FROM_FILE='from-file'\n");
  const FleetExport exported = export_text(fixture, R"(
version: 1
profiles:
  main:
    port: 21789
    state_dir: state/main
    env_file: main.env
    env: {API_KEY: key-456, LOG_LEVEL: "1"}
)");
  REQUIRE_FALSE(config::has_errors(exported.diagnostics));
  const Object& secret = find_object(exported, "Secret", "moltbot-main-env");
  CHECK(secret["stringData"]["OPENCLAW_GATEWAY_TOKEN"] == "file-token-123");
  CHECK(secret["stringData"]["PLAIN_FROM_FILE"] == "from-file");
  CHECK(secret["stringData"]["API_KEY"] == "key-456");
  const Object& gateway = container(exported, "moltbot-main");
  CHECK(gateway["envFrom"][0]["secretRef"]["name"] == "moltbot-main-env");

  const std::string pod_text = find_object(exported, "StatefulSet", "moltbot-main").dump();
  for (const char* value : {"file-token-123", "from-file", "key-456", "API_KEY", "OPENCLAW_GATEWAY_TOKEN"})
    CHECK(pod_text.find(value) == std::string::npos);
  auto inline_value = [&](const std::string& name) -> std::string {
    for (const auto& entry : gateway["env"])
      if (entry["name"] == name) return entry["value"];
    return "";
  };
  CHECK(inline_value("LOG_LEVEL") == "1");
  CHECK(inline_value("OPENCLAW_STATE_DIR") == (fixture.root() / "state/main").string());
  CHECK(inline_value("OPENCLAW_NO_RESPAWN") == "1");

  SECTION("podman gets the same values as the JSON `podman secret create` reads") {
    const auto loaded = fixture.load(R"(
version: 1
profiles:
  main: {port: 21789, state_dir: state/main, env_file: main.env, env: {API_KEY: key-456}}
)");
    const PodmanSecret podman = podman_secret(clean_manifest(loaded).profiles[0]);
    CHECK(podman.name == "moltbot-main-env");
    const auto json = nlohmann::json::parse(podman.json);
    CHECK(json["OPENCLAW_GATEWAY_TOKEN"] == "ZmlsZS10b2tlbi0xMjM=");  // base64 of file-token-123
    CHECK(json["API_KEY"] == "a2V5LTQ1Ng==");
    CHECK(json["PLAIN_FROM_FILE"] == "ZnJvbS1maWxl");
  }
}

TEST_CASE("state dir, workspace and config folder become volumes at the same paths", "[export]") {
  ManifestFixture fixture;
  const FleetExport exported = export_text(fixture, R"(
version: 1
profiles:
  main: {port: 21789, state_dir: state/main}
  old:
    layout: clawdbot
    port: 22001
    state_dir: state/old
    config_path: conf/old/clawdbot.json
    workspace: work/old
    autostart: false
)");
  CHECK(container(exported, "moltbot-main")["volumeMounts"].size() == 1);  // workspace and config inside the state dir
  const Object& mounts = container(exported, "moltbot-old")["volumeMounts"];
  REQUIRE(mounts.size() == 3);
  CHECK(mounts[0]["mountPath"] == (fixture.root() / "state/old").string());
  CHECK(mounts[1]["mountPath"] == (fixture.root() / "work/old").string());
  CHECK(mounts[2]["mountPath"] == (fixture.root() / "conf/old").string());
  const Object& old_set = find_object(exported, "StatefulSet", "moltbot-old");
  CHECK(old_set["spec"]["volumeClaimTemplates"].size() == 3);
  CHECK(old_set["spec"]["replicas"] == 0);  // autostart: false
  CHECK(container(exported, "moltbot-old")["workingDir"] == (fixture.root() / "state/old").string());
}

TEST_CASE("a profile's user: the pod runs as its uid and gid, the container without privileges", "[export]") {
  for (const Target target : {Target::kubernetes, Target::podman}) {
    ManifestFixture fixture;
    const FleetExport exported = export_text(fixture, R"(
version: 1
profiles:
  main: {port: 21789, state_dir: state/main, user: nobody}
  rescue: {role: rescue, port: 22001, state_dir: state/rescue}
)", target);
    INFO(listing(exported.diagnostics));
    REQUIRE_FALSE(config::has_errors(exported.diagnostics));
    const auto spec = [&](const std::string& name) -> const Object& { return target_pod_spec(exported, target, name); };
    CHECK(spec("moltbot-main")["securityContext"] ==
          Object{{"runAsUser", 65534}, {"runAsGroup", 65534}, {"runAsNonRoot", true}});
    CHECK(spec("moltbot-main")["containers"][0]["securityContext"] ==
          Object{{"allowPrivilegeEscalation", false}, {"capabilities", {{"drop", {"ALL"}}}}});
    // Without user: the image's user, as the supervisor's own user runs it.
    CHECK_FALSE(spec("moltbot-rescue").contains("securityContext"));
    CHECK_FALSE(spec("moltbot-rescue")["containers"][0].contains("securityContext"));
  }
}

TEST_CASE("limits.memory and limits.cpus become the container's resources; the others are said", "[export]") {
  for (const Target target : {Target::kubernetes, Target::podman}) {
    ManifestFixture fixture;
    const FleetExport exported = export_text(fixture, R"(
version: 1
profiles:
  main:
    port: 21789
    state_dir: state/main
    limits: {memory: 2G, cpus: 1.5, pids: 512, nofile: 65536, oom_score_adj: 300}
  odd: {port: 23001, state_dir: state/odd, limits: {memory: 1000000, cpus: 0.25}}
  rescue: {role: rescue, port: 22001, state_dir: state/rescue}
)", target);
    INFO(listing(exported.diagnostics));
    REQUIRE_FALSE(config::has_errors(exported.diagnostics));
    const auto container = [&](const std::string& name) -> const Object& {
      return target_pod_spec(exported, target, name)["containers"][0];
    };
    CHECK(container("moltbot-main")["resources"] == Object{{"limits", {{"memory", "2Gi"}, {"cpu", "1500m"}}}});
    CHECK(container("moltbot-odd")["resources"] == Object{{"limits", {{"memory", "1000000"}, {"cpu", "250m"}}}});
    CHECK_FALSE(container("moltbot-rescue").contains("resources"));
    for (const auto* field : {"limits.pids", "limits.nofile", "limits.oom_score_adj"}) {
      INFO(field);
      const auto found = std::find_if(exported.diagnostics.begin(), exported.diagnostics.end(), [&](const auto& d) {
        return d.code == "export-limits" && d.profile == "main" && d.message.find(field) != std::string::npos;
      });
      REQUIRE(found != exported.diagnostics.end());
      CHECK(found->severity == Severity::warning);
      CHECK(found->where.line == 6);
    }
    // The defaults that keep rescue below main are not the manifest's: nothing to say of them.
    CHECK(std::count_if(exported.diagnostics.begin(), exported.diagnostics.end(),
                        [](const auto& d) { return d.code == "export-limits"; }) == 3);
  }
}

TEST_CASE("the command is expanded and made to listen beyond loopback", "[export]") {
  ManifestFixture fixture;
  const FleetExport exported = export_text(fixture, R"(
version: 1
profiles:
  main:
    port: 21789
    state_dir: state/main
    command: [openclaw, --profile, "{profile}", gateway, --port, "{port}", --bind=loopback]
  rescue:
    role: rescue
    port: 22001
    state_dir: state/rescue
    stop: {timeout: 330s}
)");
  const std::vector<std::string> main_command = container(exported, "moltbot-main")["command"];
  CHECK(main_command ==
        std::vector<std::string>{"openclaw", "--profile", "main", "gateway", "--port", "21789", "--bind=lan"});
  const std::vector<std::string> rescue_command = container(exported, "moltbot-rescue")["command"];
  CHECK(rescue_command ==
        std::vector<std::string>{"moltbot-gateway", "--profile", "rescue", "--port", "22001", "--bind", "lan"});
  const auto* bind = find_diagnostic(exported, "export-bind", "main");
  REQUIRE(bind);
  CHECK(bind->where.line == 6);
  CHECK(pod_spec(exported, "moltbot-rescue")["terminationGracePeriodSeconds"] == 330);
}

TEST_CASE("what the target cannot express is a diagnostic at its line", "[export]") {
  ManifestFixture fixture;
  fixture.write_private("gone.env", "OPENCLAW_GATEWAY_TOKEN=t\n");
  const auto loaded = fixture.load(R"(
version: 1
profiles:
  Main_1:
    port: 21789
    state_dir: state/main
  tokened:
    port: 22001
    state_dir: state/tokened
    command: [moltbot-gateway, --port, "{port}", --token, abc]
  hostly:
    port: 23001
    state_dir: state/hostly
    command: [/opt/gw/bin/gateway, --port, "{port}", --data, "{state_dir}/x"]
    stop: {signal: SIGINT}
    restart: {policy: never}
  secretless:
    port: 24001
    state_dir: state/secretless
    env_file: gone.env
)");
  const auto& manifest = clean_manifest(loaded);  // check accepts all of it: only the target cannot
  std::filesystem::remove(fixture.root() / "gone.env");  // between check and export
  ExportOptions options;
  options.image = "gw";
  const FleetExport exported = export_fleet(manifest, options);
  INFO(listing(exported.diagnostics));
  CHECK(exported.objects.empty());  // errors: nothing half-exported

  const auto* name = find_diagnostic(exported, "export-name", "Main_1");
  REQUIRE(name);
  check_at(*name, "export-name", 3, 3,
           "profile \"Main_1\": \"moltbot-Main_1\" is not a Kubernetes object name (lowercase letters, digits and "
           "'-', ending in a letter or digit); rename the profile");
  const auto* token = find_diagnostic(exported, "export-inline-secret", "tokened");
  REQUIRE(token);
  CHECK(token->where.line == 9);
  CHECK(token->message.find("abc") == std::string::npos);
  const auto* host = find_diagnostic(exported, "export-host-path", "hostly");
  REQUIRE(host);
  CHECK(host->where.line == 13);
  CHECK(host->severity == Severity::warning);
  CHECK(host->message.find("/opt/gw/bin/gateway") != std::string::npos);
  CHECK(std::count_if(exported.diagnostics.begin(), exported.diagnostics.end(),
                      [](const auto& d) { return d.code == "export-host-path"; }) == 1);  // {state_dir}/x is a volume
  const auto* signal = find_diagnostic(exported, "export-stop-signal", "hostly");
  REQUIRE(signal);
  CHECK(signal->where.line == 14);
  const auto* policy = find_diagnostic(exported, "export-restart-policy", "hostly");
  REQUIRE(policy);
  CHECK(policy->where.line == 15);
  const auto* env_file = find_diagnostic(exported, "export-env-file", "secretless");
  REQUIRE(env_file);
  CHECK(env_file->severity == Severity::error);
  CHECK(env_file->where.line == 19);
}

TEST_CASE("YAML keeps every string a string", "[export]") {
  const std::vector<Object> objects{
      {{"kind", "Secret"}, {"stringData", {{"A", "1"}, {"B", "true"}, {"C", "on"}, {"D", ""}, {"E", "a: b"},
                                           {"F", "--x"}, {"G", "1Gi"}, {"H", "plain/path"}}}},
      {{"kind", "Service"}, {"port", 5}}};
  const std::string text = render_yaml(objects);
  const auto documents = YAML::LoadAll(text);
  REQUIRE(documents.size() == 2);
  for (const char* key : {"A", "B", "C", "D", "E", "F", "G"}) {
    INFO(key << " in\n" << text);
    CHECK(documents[0]["stringData"][key].Tag() == "!");  // quoted: no reader resolves it to a non-string
  }
  CHECK(documents[0]["stringData"]["H"].as<std::string>() == "plain/path");
  CHECK(documents[0]["stringData"]["E"].as<std::string>() == "a: b");
  CHECK(documents[1]["port"].Tag() == "?");  // a number stays plain
}
