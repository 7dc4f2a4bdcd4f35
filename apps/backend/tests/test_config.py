import pytest
from app.config import ConfigError, Settings, normalise_database_url


def test_neon_urls_use_psycopg3():
    url = "postgresql://u:p@ep-x.neon.tech/db?sslmode=require"
    assert (
        normalise_database_url(url) == "postgresql+psycopg://u:p@ep-x.neon.tech/db?sslmode=require"
    )
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_defaults_work_for_a_local_run():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.jwt_algorithm == "HS256"
    assert settings.jwt_expiration_days == 7
    assert settings.cors_origins == ["http://localhost:3000"]
    assert settings.openai_api_key is None
    assert len(settings.auth_secret) >= 32


def test_placeholder_secrets_count_as_unset():
    settings = Settings.from_env({"OPENAI_API_KEY": "CHANGE_ME", "BETTER_AUTH_SECRET": "CHANGE_ME"})
    assert settings.openai_api_key is None
    assert settings.auth_secret != "CHANGE_ME"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JWT_ALGORITHM": "RS256"}, "JWT_ALGORITHM='RS256' is not supported"),
        ({"JWT_EXPIRATION_DAYS": "soon"}, "JWT_EXPIRATION_DAYS='soon' is not a number"),
        ({"JWT_EXPIRATION_DAYS": "0"}, "must be greater than 0"),
        (
            {"BETTER_AUTH_SECRET": "short"},
            "BETTER_AUTH_SECRET is 5 bytes long; HS256 needs at least 32",
        ),
        ({"BETTER_AUTH_SECRET": "x" * 40, "JWT_ALGORITHM": "HS512"}, "HS512 needs at least 64"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_cors_origins_are_split_and_trimmed():
    settings = Settings.from_env({"CORS_ORIGINS": " http://a.example/ ,http://b.example:3000,, "})
    assert settings.cors_origins == ["http://a.example", "http://b.example:3000"]
