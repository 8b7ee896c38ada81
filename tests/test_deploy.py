"""The deployment files (deploy/, .dockerignore) agree with the code: settings, console script, CLI, paths.

Nothing here needs Docker or a running systemd. `systemd-analyze verify` runs on the unit when the
tool is installed (Debian: apt-get install systemd); every other check runs everywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
import yaml

from alliance_bot.cli import build_parser
from alliance_bot.settings import ENV_PREFIX, TOKEN_ENV, Settings, load_settings, setting_names

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = DEPLOY / "compose.yaml"
UNIT = DEPLOY / "alliance-bot.service"
SETTINGS_EXAMPLE = DEPLOY / "settings.example.env"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
DEPLOY_README = DEPLOY / "README.md"

TOKEN_FILE_ENV = "DISCORD_TOKEN_FILE"  # read by deploy/entrypoint.sh, not by the code


# ---------------------------------------------------------------- helpers


def _script_name() -> str:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"alliance-bot": "alliance_bot.cli:main"}, scripts
    return next(iter(scripts))


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse offers no public way to list subcommands
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _cli_accepts(argv: list[str]) -> bool:
    """Whether `alliance-bot ARGV` parses (nothing runs)."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            return False
    return True


def _repo_files(folder: Path) -> list[str]:
    """The files of a folder that belong to the repository (tracked or not ignored), relative to the root."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        proc = subprocess.run(
            [git, "ls-files", "--cached", "--others", "--exclude-standard", "--", str(folder)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0:
            return [line for line in proc.stdout.splitlines() if (ROOT / line).is_file()]
    return [
        p.relative_to(ROOT).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not {"__pycache__"} & set(p.parts) and not any(x.endswith(".egg-info") for x in p.parts)
    ]


def _env_file(path: Path) -> list[tuple[str, str, bool, int]]:
    """(name, value, active, line number) of each assignment; commented-out ones have active=False."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if m := re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", line):
            out.append((m[1], m[2], True, number))
        elif m := re.fullmatch(r"#\s?([A-Z_][A-Z0-9_]*)=(\S*)", line):
            out.append((m[1], m[2], False, number))
        else:
            # prose comments only; no quotes, spaces or `export`, which Docker and systemd read differently
            assert line.startswith("#"), f"{path.name}:{number}: not NAME=value or a comment: {line!r}"
    return out


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        instructions.append((word.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile()
    starts = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    assert starts, "no FROM"
    return instructions[starts[-1] :]


def _exec_form(args: str, what: str) -> list[str]:
    assert args.startswith("["), f"{what} must use the exec (JSON) form so that signals reach the bot: {args}"
    argv = json.loads(args)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv) and argv, args
    return argv


def _env_assignments(args: str) -> dict[str, str]:
    tokens = shlex.split(args)
    if tokens and "=" not in tokens[0]:  # legacy `ENV KEY value`
        return {tokens[0]: " ".join(tokens[1:])}
    return dict(token.split("=", 1) for token in tokens)


def _copies(stage: list[tuple[str, str]]) -> list[tuple[list[str], str, dict[str, str]]]:
    """(sources, destination, flags) of each COPY/ADD in a stage."""
    out = []
    for word, args in stage:
        if word not in {"COPY", "ADD"}:
            continue
        if args.lstrip().startswith("["):
            tokens, flags = json.loads(args), {}
        else:
            tokens = shlex.split(args)
            flags = dict(([*t[2:].split("=", 1), ""])[:2] for t in tokens if t.startswith("--"))
            tokens = [t for t in tokens if not t.startswith("--")]
        out.append((tokens[:-1], tokens[-1], flags))
    return out


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regular expression."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i:]:
            j = pattern.index("]", i)
            body = pattern[i + 1 : j]
            out, i = out + "[" + ("^" + body[1:] if body.startswith(("^", "!")) else body) + "]", j + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _dockerignored() -> Callable[[str], bool]:
    rules = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((negate, _glob_regex(pattern)))

    def ignored(path: str) -> bool:
        parts = PurePosixPath(path).parts
        candidates = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]  # the path and its parents
        result = False
        for negate, regex in rules:  # the last matching rule decides, as in Docker
            if any(regex.match(c) for c in candidates):
                result = not negate
        return result

    return ignored


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as section -> key -> every value (keys repeat, e.g. Environment=)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    pending = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}:{number}: a key before any section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}:{number}: not key=value: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _one(section: dict[str, list[str]], key: str) -> str:
    values = section.get(key)
    assert values, f"{key}= is missing"
    assert len(values) == 1, f"{key}= is set {len(values)} times"
    return values[0]


def _compose_service() -> tuple[dict, dict]:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert len(services) == 1, f"one service expected, found {sorted(services)}"
    return compose, next(iter(services.values()))


def _compose_volumes(service: dict) -> list[dict]:
    out = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            out.append(
                {"source": parts[0], "target": parts[1], "read_only": len(parts) > 2 and "ro" in parts[2].split(",")}
            )
        else:
            out.append(
                {"source": volume.get("source"), "target": volume["target"], "read_only": bool(volume.get("read_only"))}
            )
    return out


def _compose_environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(([*item.split("=", 1), ""])[:2] for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the working directory


# ---------------------------------------------------------------- settings.example.env


def test_settings_example_names_every_setting_and_nothing_else() -> None:
    entries = _env_file(SETTINGS_EXAMPLE)
    names = [name for name, _, _, _ in entries]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"listed twice: {sorted(duplicates)}"
    assert TOKEN_FILE_ENV not in names, "DISCORD_TOKEN_FILE is read by the container entrypoint, not the code"
    missing = set(setting_names()) - set(names)
    unknown = set(names) - set(setting_names())
    assert not missing, f"settings the code reads but settings.example.env does not list: {sorted(missing)}"
    assert not unknown, f"settings.example.env lists names the code never reads: {sorted(unknown)}"


def test_settings_example_documents_each_setting_with_its_default() -> None:
    lines = SETTINGS_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for name, _, _, number in _env_file(SETTINGS_EXAMPLE):
        comment = []
        i = number - 2
        while i >= 0 and lines[i].startswith("#") and not re.match(r"#\s?[A-Z_][A-Z0-9_]*=", lines[i]):
            comment.insert(0, lines[i])
            i -= 1
        text = " ".join(comment)
        assert comment, f"{name} has no comment above it"
        assert "Default" in text, f"the comment of {name} does not give its default: {text!r}"


def test_settings_example_values_are_valid_and_defaults_are_the_real_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    entries = _env_file(SETTINGS_EXAMPLE)
    active = {name: value for name, value, is_active, _ in entries if is_active}
    assert active == {TOKEN_ENV: ""}, f"only DISCORD_TOKEN is assigned, and left empty: {active}"

    _clean_env(monkeypatch, tmp_path)
    defaults = load_settings()
    secrets = {TOKEN_ENV} | {
        f"{ENV_PREFIX}{n.upper()}" for n, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)
    }
    field_of = {
        (f.validation_alias if isinstance(f.validation_alias, str) else f"{ENV_PREFIX}{n.upper()}"): n
        for n, f in Settings.model_fields.items()
    }
    every: dict[str, str] = {}
    for name, value, is_active, number in entries:
        if is_active:
            continue
        if not value:
            # uncommented, an empty value would be taken literally (an empty key, a non-number)
            assert name in secrets, f"line {number}: {name} shows an empty value; show the default or an example"
            continue
        if name == f"{ENV_PREFIX}CONFIG":
            assert value.endswith(".toml"), f"{name} names a TOML file: {value}"
            continue
        monkeypatch.setenv(name, value)
        loaded = load_settings()  # raises SettingsError naming the setting when the shown value is invalid
        monkeypatch.delenv(name)
        every[name] = value
        field = Settings.model_fields[field_of[name]]
        if field.default_factory is None and field.default is not None:
            assert getattr(loaded, field_of[name]) == getattr(defaults, field_of[name]), (
                f"line {number}: {name}={value} is not the default {getattr(defaults, field_of[name])!r}"
            )
    for name, value in every.items():  # all uncommented at once
        monkeypatch.setenv(name, value)
    load_settings()


# ---------------------------------------------------------------- Dockerfile and .dockerignore


def test_dockerfile_base_user_and_commands() -> None:
    script = _script_name()
    instructions = _dockerfile()
    final = _final_stage()
    for word, args in instructions:
        if word == "FROM":
            image = args.split()[0]
            assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), (
                f"base image {image}: expected python:3.11-slim"
            )

    users = [args for word, args in final if word == "USER"]
    assert users, "the final stage sets no USER: the bot would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, f"USER {users[-1]} is root"
    runs = " ".join(args for word, args in final if word == "RUN")
    if user.isdigit():
        assert re.search(rf"useradd\b[^&;]*--uid {user}\b", runs), f"no useradd creates uid {user}"
    else:
        assert re.search(rf"useradd\b[^&;]*\b{re.escape(user)}\b", runs), f"no useradd creates {user}"

    cmd = _exec_form(next(args for word, args in reversed(final) if word == "CMD"), "CMD")
    assert cmd[:2] == [script, "run"] and "--require-token" in cmd, cmd
    assert _cli_accepts(cmd[1:]), f"the CLI does not accept {cmd}"

    stop = [args for word, args in final if word == "STOPSIGNAL"]
    assert stop == ["SIGTERM"], stop

    health = [args for word, args in final if word == "HEALTHCHECK"]
    assert len(health) == 1, health
    options, sep, command = health[0].partition("CMD ")
    assert sep and not options.strip().startswith("NONE"), health
    health_argv = _exec_form(command.strip(), "HEALTHCHECK CMD")
    assert health_argv == [script, "health"], health_argv

    entrypoint = _exec_form(next(args for word, args in reversed(final) if word == "ENTRYPOINT"), "ENTRYPOINT")
    copied_to = {dest: sources for sources, dest, flags in _copies(final) if "from" not in flags}
    assert entrypoint[0] in copied_to and copied_to[entrypoint[0]] == ["deploy/entrypoint.sh"], (
        f"ENTRYPOINT {entrypoint} is not deploy/entrypoint.sh"
    )
    assert re.search(rf"chmod [0-7]*755 {re.escape(entrypoint[0])}", runs), "the entrypoint is not made executable"

    assert _cli_accepts(health_argv[1:]), f"the CLI does not accept {health_argv}"


def test_dockerfile_environment_is_real_settings() -> None:
    allowed = set(setting_names()) | {TOKEN_FILE_ENV}
    runtime_only = {
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "PATH",
        "PIP_NO_CACHE_DIR",
        "PIP_DISABLE_PIP_VERSION_CHECK",
        "PIP_NO_COMPILE",
        "PIP_ROOT_USER_ACTION",
    }
    final_env: dict[str, str] = {}
    for word, args in _dockerfile():
        if word == "FROM":
            final_env = {}
        if word == "ENV":
            env = _env_assignments(args)
            for name in env:
                assert name in allowed or name in runtime_only, (
                    f"ENV {name} is not a setting the code reads (setting_names()) nor a known runtime variable"
                )
            final_env.update(env)
    assert final_env.get("PYTHONUNBUFFERED") == "1", "PYTHONUNBUFFERED=1 so that logs are not held back"
    assert TOKEN_ENV not in final_env, "never bake a token into the image"

    final = _final_stage()
    volumes = [
        v
        for word, args in final
        if word == "VOLUME"
        for v in (json.loads(args) if args.startswith("[") else args.split())
    ]
    db = PurePosixPath(final_env[f"{ENV_PREFIX}DB"])
    assert db.is_absolute() and str(db.parent) in volumes, f"ALLIANCE_BOT_DB={db} is not on a VOLUME {volumes}"
    cache = PurePosixPath(final_env[f"{ENV_PREFIX}CACHE_DIR"])
    assert any(cache.is_relative_to(v) for v in volumes), f"ALLIANCE_BOT_CACHE_DIR={cache} is not on a VOLUME"
    runs = [args for word, args in final if word == "RUN"]
    check = next((i for i, r in enumerate(runs) if "alliance-bot content check" in r), None)
    assert check is not None, "the image build does not check the content"
    owned = " ".join(runs[check:])
    assert re.search(rf"alliance-bot content check .*chown -R [^ ]+ {re.escape(str(cache))}\b", owned), (
        "the cache filled by the build's content check must be chowned to the bot's user"
    )
    content = final_env[f"{ENV_PREFIX}CONTENT_DIR"].rstrip("/")
    content_copies = [dest for sources, dest, flags in _copies(final) if sources == ["content/"]]
    assert [d.rstrip("/") for d in content_copies] == [content], (
        f"ALLIANCE_BOT_CONTENT_DIR={content} but content/ is copied to {content_copies}"
    )


def test_dockerfile_copies_what_exists_and_installs_without_dev_dependencies() -> None:
    ignored = _dockerignored()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    copied: set[str] = set()
    for sources, _dest, flags in _copies(_dockerfile()):
        if "from" in flags:
            continue
        for source in sources:
            path = ROOT / source
            assert path.exists(), f"COPY {source}: not in the repository (the build context is the root)"
            assert not ignored(source.rstrip("/")), f"COPY {source}: excluded by .dockerignore"
            files = [source] if path.is_file() else _repo_files(path)
            assert files, f"COPY {source}: nothing in it"
            for rel in files:
                assert not ignored(rel), f"{rel} would be missing from the build: excluded by .dockerignore"
            copied.add(source.rstrip("/"))
    assert {"pyproject.toml", pyproject["project"]["readme"], "src", "content"} <= copied, (
        f"the build needs pyproject.toml, its readme, src/ and content/; copied: {sorted(copied)}"
    )

    installs = [args for word, args in _dockerfile() if word == "RUN" and "pip install" in args]
    assert installs, "nothing installs the project"
    for args in installs:
        assert "[test]" not in args and "-e " not in args and "--editable" not in args, (
            f"install the project alone, not editable, without the test extra: {args}"
        )


def test_dockerignore_keeps_secrets_state_and_caches_out() -> None:
    ignored = _dockerignored()
    for path in [
        ".venv/bin/python",
        ".git/HEAD",
        "alliance_bot.sqlite3",
        "deploy/x/backup.sqlite3",
        "alliance_bot.sqlite3-wal",
        ".env",
        "deploy/.env",
        "deploy/settings.env",
        "deploy/discord_token.txt",
        ".pytest_cache/v/cache/lastfailed",
        ".hypothesis/examples/x",
        "src/alliance_bot/__pycache__/cli.cpython-311.pyc",
    ]:
        assert ignored(path), f".dockerignore lets {path} into the build context"


# ---------------------------------------------------------------- compose.yaml


def test_compose_service() -> None:
    compose, service = _compose_service()
    build = service["build"]
    context = (DEPLOY / build["context"]).resolve()
    assert context == ROOT, f"build context {build['context']} is not the repository root"
    assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE
    assert service["restart"] == "unless-stopped"
    assert service["stop_grace_period"] == "15s"
    assert service.get("stop_signal", "SIGTERM") == "SIGTERM"
    assert service["read_only"] is True
    tmpfs = service["tmpfs"]
    assert "/tmp" in ([tmpfs] if isinstance(tmpfs, str) else [t.split(":")[0] for t in tmpfs])
    assert "command" not in service and "entrypoint" not in service, "the image's ENTRYPOINT and CMD are used"

    # settings: a copy of settings.example.env, made as this folder's README says
    env_files = service["env_file"]
    env_files = [env_files] if isinstance(env_files, str) else env_files
    readme = DEPLOY_README.read_text(encoding="utf-8")
    for entry in env_files:
        path = entry["path"] if isinstance(entry, dict) else entry
        resolved = (DEPLOY / path).resolve()
        assert resolved.exists() or (
            resolved.parent == DEPLOY and f"cp settings.example.env {resolved.name}" in readme
        ), f"env_file {path} neither exists nor is documented as a copy of settings.example.env"

    env = _compose_environment(service)
    unknown = set(env) - set(setting_names()) - {TOKEN_FILE_ENV}
    assert not unknown, f"compose sets variables the code never reads: {sorted(unknown)}"
    assert TOKEN_ENV not in env, "the token comes from the secret, not from compose.yaml"

    # the token as a Docker secret, handed to the entrypoint
    secret_names = [s if isinstance(s, str) else s["source"] for s in service["secrets"]]
    assert secret_names == ["discord_token"], secret_names
    assert compose["secrets"]["discord_token"]["file"] == "./discord_token.txt"
    assert env[TOKEN_FILE_ENV] == "/run/secrets/discord_token"

    # the database on a named volume, the content (optionally) read-only from the repository
    volumes = _compose_volumes(service)
    dockerfile_env: dict[str, str] = {}
    for word, args in _final_stage():
        if word == "ENV":
            dockerfile_env.update(_env_assignments(args))
    db = PurePosixPath(env.get(f"{ENV_PREFIX}DB") or dockerfile_env[f"{ENV_PREFIX}DB"])
    data = [v for v in volumes if v["target"] == str(db.parent)]
    assert data, f"the database's folder {db.parent} is not a volume"
    assert data[0]["source"] in (compose.get("volumes") or {}), "the data volume is not a named volume"
    assert not data[0]["read_only"]
    content_dir = env.get(f"{ENV_PREFIX}CONTENT_DIR") or dockerfile_env[f"{ENV_PREFIX}CONTENT_DIR"]
    for volume in volumes:
        if volume["target"] == content_dir:
            assert (DEPLOY / volume["source"]).resolve() == ROOT / "content", volume
            assert volume["read_only"], "mount the content read-only"
    writable = {v["target"] for v in volumes if not v["read_only"]}
    assert writable == {str(db.parent)}, f"only the data volume is writable: {writable}"


# ---------------------------------------------------------------- systemd unit


def test_systemd_unit_settings() -> None:
    script = _script_name()
    unit = _unit(UNIT)
    assert set(unit) == {"Unit", "Service", "Install"}, set(unit)
    service = unit["Service"]

    exec_start = shlex.split(_one(service, "ExecStart"))
    assert exec_start[0] == f"/opt/alliance-bot/.venv/bin/{script}", exec_start
    assert exec_start[1] == "run" and "--require-token" in exec_start, exec_start
    assert _cli_accepts(exec_start[1:]), f"the CLI does not accept {exec_start[1:]}"
    assert _one(service, "ExecReload") == "/bin/kill -HUP $MAINPID"

    dynamic = service.get("DynamicUser", ["no"])[-1] == "yes"
    user = service.get("User", [""])[-1]
    assert dynamic or (user and user not in {"root", "0"}), "runs as root"
    assert _one(service, "WorkingDirectory").startswith("/")
    assert _one(service, "EnvironmentFile") == "/etc/alliance-bot/settings.env"
    state = _one(service, "StateDirectory")
    assert state == "alliance-bot"

    env: dict[str, str] = {}
    for value in service.get("Environment", []):
        env.update(token.split("=", 1) for token in shlex.split(value))
    unknown = set(env) - set(setting_names()) - {"PYTHONUNBUFFERED"}
    assert not unknown, f"Environment= sets variables the code never reads: {sorted(unknown)}"
    assert TOKEN_ENV not in env, "the token belongs in the EnvironmentFile (mode 0600), not the unit"
    db = PurePosixPath(env[f"{ENV_PREFIX}DB"])
    assert db.parent == PurePosixPath("/var/lib") / state, (
        f"ALLIANCE_BOT_DB={db} is outside the StateDirectory, read-only under ProtectSystem=strict"
    )

    expected = {
        "Restart": "on-failure",
        "KillSignal": "SIGTERM",
        "TimeoutStopSec": "20",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "LockPersonality": "yes",
        "CapabilityBoundingSet": "",
        "SystemCallArchitectures": "native",
    }
    for key, value in expected.items():
        assert _one(service, key) == value, f"{key}={service.get(key)}, expected {value!r}"
    assert _one(service, "RestartSec")
    assert set(_one(service, "RestrictAddressFamilies").split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # The structure checks above always run; verify only where the tool exists.
    unit = UNIT.read_text(encoding="utf-8")
    assert "\nExecStart=" in unit and "\nExecReload=" in unit
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return  # nothing more to check without it (apt-get install systemd)
    # verify insists that the commands exist: point them at /bin/true, keeping their arguments
    copy = re.sub(r"(?m)^(ExecStart|ExecReload)=\S+", r"\1=/bin/true", unit)
    path = tmp_path / UNIT.name
    path.write_text(copy, encoding="utf-8")
    proc = subprocess.run(
        [tool, "verify", "--man=no", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
        timeout=60,
    )
    output = (proc.stdout + proc.stderr).splitlines()
    # the host has no alliance-bot user, /opt/alliance-bot or /etc/alliance-bot: those are not errors
    benign = re.compile(
        r"(user|group)\b.*\b(not found|does not exist|resolve)|WorkingDirectory|EnvironmentFile", re.IGNORECASE
    )
    problems = [line for line in output if (str(path) in line or UNIT.name in line) and not benign.search(line)]
    assert proc.returncode == 0 and not problems, "\n".join(output)


# ---------------------------------------------------------------- console script and CLI commands used


def test_console_script_is_the_one_the_deploy_files_run() -> None:
    script = _script_name()
    from alliance_bot.cli import main

    assert callable(main)
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert f'CMD ["{script}", "run"' in dockerfile
    assert f"/.venv/bin/{script} run" in UNIT.read_text(encoding="utf-8")
    readme = DEPLOY_README.read_text(encoding="utf-8")
    # every alliance-bot command the deployment README tells the operator to run exists in the CLI
    commands = re.findall(rf"(?:bin/{script}|{script} {script}|as_bot) ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", readme)
    assert commands, "the README runs no alliance-bot command?"
    top = _subcommands(build_parser())
    for first, second in commands:
        assert first in top, f"README runs `{script} {first}`, which the CLI does not have"
        nested = _subcommands(top[first])
        if nested:
            assert second in nested, f"README runs `{script} {first} {second}`, which the CLI does not have"
    used = {first for first, _ in commands}
    assert {"sync", "doctor", "db"} <= used, f"the README should show sync, doctor and db backup: {sorted(used)}"


# ---------------------------------------------------------------- entrypoint.sh


def _entrypoint(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *command],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
    )


def test_entrypoint_exports_the_token_from_the_file(tmp_path: Path) -> None:
    assert ENTRYPOINT.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)]).returncode == 0
    token_file = tmp_path / "discord_token"
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
    token_file.write_text(token + "\r\n", encoding="utf-8")  # a trailing newline, and one from Windows

    proc = _entrypoint({TOKEN_FILE_ENV: str(token_file)}, "env")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"{TOKEN_ENV}={token}" in lines
    assert not any(line.startswith(f"{TOKEN_FILE_ENV}=") for line in lines)

    # an empty DISCORD_TOKEN (settings.example.env copied as is) does not block the file
    proc = _entrypoint({TOKEN_FILE_ENV: str(token_file), TOKEN_ENV: ""}, "env")
    assert proc.returncode == 0 and f"{TOKEN_ENV}={token}" in proc.stdout.splitlines(), proc.stderr


def test_entrypoint_passes_the_command_through(tmp_path: Path) -> None:
    proc = _entrypoint(
        {TOKEN_ENV: "from-env"}, "sh", "-c", 'printf "%s|" "$@"; printf "%s" "$DISCORD_TOKEN"', "sh", "a b", "c"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "a b|c|from-env"
    assert _entrypoint({}, "sh", "-c", "exit 3").returncode == 3  # exec: the command's own exit status


def test_entrypoint_refuses_a_missing_empty_or_doubled_token(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = ("touch", str(marker))
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    token_file = tmp_path / "token"
    token_file.write_text("x.y.z\n", encoding="utf-8")
    for env in (
        {TOKEN_FILE_ENV: str(tmp_path / "missing")},
        {TOKEN_FILE_ENV: str(empty)},
        {TOKEN_FILE_ENV: str(token_file), TOKEN_ENV: "also-set"},
    ):
        proc = _entrypoint(env, *command)
        assert proc.returncode == 2, (env, proc.stdout, proc.stderr)
        assert TOKEN_FILE_ENV in proc.stderr
        assert "x.y.z" not in proc.stderr + proc.stdout, "never print the token"
        assert not marker.exists(), "the command must not run without the token"
