"""The operator's first commands, as real processes: where the agent is, and its keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ACCROCHAGE = Path(sys.executable).with_name("accrochage")


def _run(
    tmp_path: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """``accrochage ARGS`` in ``tmp_path`` with a HOME of its own and no agent variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ACCROCHAGE_", "KEYRING_", "PYTHON_KEYRING", "XDG_"))
    }
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    clean.update(HOME=str(home), **env)
    return subprocess.run(
        [str(ACCROCHAGE), *args],
        cwd=tmp_path,
        env=clean,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", [["status"], ["status", "--json"], ["log"], ["rejects"]])
def test_read_only_commands_never_invent_a_store(tmp_path: Path, command: list[str]) -> None:
    """Without a config, a read-only command names where it looked and creates nothing."""
    done = _run(tmp_path, *command)
    data_dir = tmp_path / "home" / ".local" / "share" / "accrochage-agent"
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"Error: no agent data at {data_dir} (config: built-in defaults): pass --config or "
        "set ACCROCHAGE_CONFIG\n"
    )
    assert not data_dir.exists()


def test_status_says_which_installation_answered(tmp_path: Path) -> None:
    """status, text and JSON, names the config file, data dir, version and keyring."""
    config = tmp_path / "accrochage.toml"
    config.write_text(
        '[agent]\ndata_dir = "data"\n[credentials]\nbackend = "file"\nkey_file = "key"\n',
        encoding="utf-8",
    )
    missing = _run(tmp_path, "--config", str(config), "status")
    assert missing.returncode == 1
    assert f"no agent data at {tmp_path / 'data'} (config: {config}): check [agent] data_dir" in (
        missing.stderr
    )
    (tmp_path / "inbox").mkdir()
    assert _run(tmp_path, "--config", str(config), "deposit", "now").returncode in {0, 1}
    text = _run(tmp_path, "--config", str(config), "status")
    assert text.returncode == 0, text.stderr
    first = text.stdout.splitlines()[0]
    assert first.startswith(f"Agent: config {config}, data dir {tmp_path / 'data'}, version ")
    assert first.endswith(
        f"keyring encrypted file {tmp_path / 'data' / 'keyring.cfg'} (key {tmp_path / 'key'})"
    )
    about = json.loads(_run(tmp_path, "--config", str(config), "status", "--json").stdout)["agent"]
    assert about["config_file"] == str(config)
    assert about["data_dir"] == str(tmp_path / "data")
    assert about["version"][0].isdigit()


def test_credentials_set_refuses_a_prompting_backend_without_prompting(tmp_path: Path) -> None:
    """keyring's own cryptfile would prompt and store where the service cannot read: refused."""
    config = tmp_path / "accrochage.toml"
    config.write_text('[portal]\nusername = "alice"\n', encoding="utf-8")
    done = _run(
        tmp_path,
        "--config",
        str(config),
        "credentials",
        "set",
        stdin="s3cret\n",
        PYTHON_KEYRING_BACKEND="keyrings.cryptfile.cryptfile.CryptFileKeyring",
    )
    assert done.returncode == 1
    assert "CryptFileKeyring asks for its key on the terminal" in done.stderr
    assert 'set [credentials] backend = "file" and key_file' in done.stderr
    assert "Please" not in done.stdout + done.stderr  # none of the library's prompts
    assert not list((tmp_path / "home").rglob("*.cfg"))


def test_credentials_set_then_check_reads_the_same_file_backend(tmp_path: Path) -> None:
    """[credentials] backend = "file": no environment variable, key created on first use."""
    config = tmp_path / "accrochage.toml"
    config.write_text(
        '[agent]\ndata_dir = "data"\n[portal]\nusername = "alice"\nbase_url = "http://127.0.0.1:9"\n'
        '[credentials]\nbackend = "file"\nkey_file = "secrets/keyring-key"\n',
        encoding="utf-8",
    )
    done = _run(tmp_path, "--config", str(config), "credentials", "set", stdin="s3cret-pw\n")
    assert done.returncode == 0, done.stderr
    key = tmp_path / "secrets" / "keyring-key"
    assert done.stdout.splitlines() == [
        f"Created the keyring key {key} (owner-only): keep it, and keep it off the backups "
        f"that hold {tmp_path / 'data' / 'keyring.cfg'}.",
        f"Password stored for alice in encrypted file {tmp_path / 'data' / 'keyring.cfg'} "
        f"(key {key}), and read back the way the service reads it.",
    ]
    assert "s3cret-pw" not in done.stdout + done.stderr
    assert b"s3cret-pw" not in (tmp_path / "data" / "keyring.cfg").read_bytes()


def test_config_show_prints_the_effective_config_as_toml(tmp_path: Path) -> None:
    """Every key with the value in use, as TOML that loads back to the same config."""
    import tomllib

    from agent.config import Config, load_config

    config = tmp_path / "accrochage.toml"
    key = tmp_path / "keyring-key"
    key.write_text("the-keyring-key-itself\n")
    config.write_text(
        '[agent]\ndata_dir = "data"\n[portal]\nusername = "alice"\n'
        '[credentials]\nbackend = "file"\nkey_file = "keyring-key"\n'
        '[build.columns]\n"Nom de naissance" = "nomNaissance"\n',
        encoding="utf-8",
    )
    done = _run(tmp_path, "--config", str(config), "config", "show")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"# Effective configuration from {config};")
    assert f'key_file = "{key}"' in done.stdout
    assert '"Nom de naissance" = "nomNaissance"' in done.stdout
    assert "the-keyring-key-itself" not in done.stdout
    shown = Config.model_validate(tomllib.loads(done.stdout))
    assert shown.model_dump() == load_config(config).model_dump()


@pytest.mark.parametrize(
    ("content", "code", "expected"),
    [
        ('[portal]\nusername = "alice"\n', 0, "OK: {path} is valid.\nnote: [credentials]"),
        (
            '[portal]\nbase_url = "http://127.0.0.1:8080/espace-prive"\n',
            78,
            "Error: {path}: invalid configuration\n  portal: [portal] base_url "
            "'http://127.0.0.1:8080/espace-prive' is a page's address, not the portal's: "
            "write 'http://127.0.0.1:8080'",
        ),
        ('[agent]\ndatadir = "x"\n', 78, "Error: {path}: invalid configuration\n  agent.datadir"),
    ],
)
def test_config_validate(tmp_path: Path, content: str, code: int, expected: str) -> None:
    """validate says OK with notes, or every problem with the file and key; 78 = EX_CONFIG."""
    config = tmp_path / "accrochage.toml"
    config.write_text(content, encoding="utf-8")
    done = _run(tmp_path, "--config", str(config), "config", "validate")
    assert done.returncode == code
    assert (done.stdout + done.stderr).startswith(expected.format(path=config))


def test_config_validate_without_a_config_file(tmp_path: Path) -> None:
    """Nothing to validate: say how to name the file."""
    done = _run(tmp_path, "config", "validate")
    assert done.returncode == 78
    assert "no config file to validate: pass --config or set ACCROCHAGE_CONFIG" in done.stderr
