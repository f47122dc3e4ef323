"""Signed links: purpose-bound, expiring, tamper-evident, with key rotation; the key is never shown."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from patron.app import App
from patron.config import load_settings
from patron.errors import ConfigError
from patron.links import LinkError, make_link, make_token, read_token

KEY = "a-long-random-secret-key-for-tests"
OLD = "the-previous-secret-key-for-tests"


def app_with(tmp_path: Path, **keys: object) -> App:
    (tmp_path / "patron.toml").write_text('[patron]\ndatabase_url = "sqlite:///x.db"\n', encoding="utf-8")
    settings = load_settings(tmp_path / "patron.toml", env={})
    return App(dataclasses.replace(settings, **keys))


def test_round_trip_and_link_shape(tmp_path):
    app = app_with(tmp_path, secret_key=KEY, base_url="https://crm.example.com/")
    url = make_link(app, "email.unsubscribe", {"c": 42}, path="/email/unsubscribe")
    assert url.startswith("https://crm.example.com/email/unsubscribe/")
    token = url.rsplit("/", 1)[1]
    assert read_token(app, "email.unsubscribe", token, max_age=60) == {"c": 42}
    assert KEY not in url


def test_tampered_expired_and_wrong_purpose_are_refused_with_a_reason(tmp_path, monkeypatch):
    app = app_with(tmp_path, secret_key=KEY)
    token = make_token(app, "email.unsubscribe", {"c": 1})
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (tampered, "garbage", "", token + "x"):
        with pytest.raises(LinkError) as info:
            read_token(app, "email.unsubscribe", bad, max_age=60)
        assert info.value.reason == "invalid"
    with pytest.raises(LinkError) as info:
        read_token(app, "survey.answer", token, max_age=60)
    assert info.value.reason == "wrong_purpose"
    import itsdangerous.timed

    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() - 3600)
    old = make_token(app, "email.unsubscribe", {"c": 1})
    monkeypatch.undo()
    with pytest.raises(LinkError) as info:
        read_token(app, "email.unsubscribe", old, max_age=60)
    assert info.value.reason == "expired" and "expired" in str(info.value)


def test_rotation_accepts_the_previous_key_until_it_is_removed(tmp_path):
    before = app_with(tmp_path, secret_key=OLD)
    token = make_token(before, "p", {"c": 1})
    rotated = app_with(tmp_path, secret_key=KEY, previous_secret_keys=(OLD,))
    assert read_token(rotated, "p", token, max_age=60) == {"c": 1}
    assert make_token(rotated, "p", {"c": 1}) != token  # new tokens use the new key
    dropped = app_with(tmp_path, secret_key=KEY)
    with pytest.raises(LinkError):
        read_token(dropped, "p", token, max_age=60)


def test_without_or_with_a_short_key_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="PATRON_SECRET_KEY"):
        make_token(app_with(tmp_path), "p", {})
    with pytest.raises(ConfigError, match="shorter than 16") as info:
        make_token(app_with(tmp_path, secret_key="short"), "p", {})
    assert "short" not in str(info.value).replace("shorter", "")


def test_keys_come_from_the_file_or_the_environment_and_are_not_in_repr(tmp_path):
    cfg = tmp_path / "patron.toml"
    cfg.write_text(
        '[patron]\nsecret_key = "from-the-file-0123456789"\nprevious_secret_keys = ["old-key-0123456789abc"]\n'
        'base_url = "https://crm.example.com"\nadmin_token = "adm-0123456789"\n',
        encoding="utf-8",
    )
    settings = load_settings(cfg, env={})
    assert settings.secret_key == "from-the-file-0123456789"
    assert settings.previous_secret_keys == ("old-key-0123456789abc",)
    assert settings.base_url == "https://crm.example.com" and settings.admin_token == "adm-0123456789"
    assert "from-the-file" not in repr(settings) and "adm-0123" not in repr(settings)
    env = load_settings(cfg, env={"PATRON_SECRET_KEY": "from-the-env-0123456789", "PATRON_PREVIOUS_SECRET_KEYS": "a,b"})
    assert env.secret_key == "from-the-env-0123456789" and env.previous_secret_keys == ("a", "b")
    assert env.origin("secret_key") == "$PATRON_SECRET_KEY"
    cfg.write_text('[patron]\nbase_url = "crm.example.com"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="base_url must be an http"):
        load_settings(cfg, env={})
