"""`posko run --lan --host ADDR`: the option's mistakes are refused before anything starts."""

from __future__ import annotations

import pytest

from services.cli import main


def test_host_without_lan_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--host", "192.168.1.20"]) == 2
    assert "--host hanya bersama --lan" in capsys.readouterr().err


def test_lan_host_that_is_not_an_address_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--lan", "--host", "laptop posko"]) == 2
    assert "bukan alamat IP" in capsys.readouterr().err


def test_public_lan_host_is_refused_before_serving(capsys: pytest.CaptureFixture[str], tmp_path: object,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The local authority vouches only for private addresses: a public one stops `run` with the reason."""
    monkeypatch.setenv("POSKO_TLS_DIR", str(tmp_path))
    monkeypatch.setenv("POSKO_ENV", "test")
    from services.cli import _serve_lan
    from shared.config import Settings

    assert _serve_lan(Settings(lan=True, lan_host="8.8.8.8"), object) == 2
    assert "bukan alamat jaringan lokal" in capsys.readouterr().err
