"""Resolution up front, with uv, and the server-only distributions left out: by default, by
an explicit `exclude` list, never what `keep` names; with everything only they needed."""

from __future__ import annotations

import pytest
from desktop_django_tools.stage.config import WrappedSource
from desktop_django_tools.stage.errors import StageError
from desktop_django_tools.stage.resolve import resolve
from desktop_django_tools.stage.runtime_wheel import build

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    wheel = build(tmp_path_factory.mktemp("wheel"))
    return f"desktop-django @ {wheel.as_uri()}"


def resolved(tmp_path, runtime, requirements: str, **source):
    (tmp_path / "requirements.txt").write_text(requirements, encoding="utf-8")
    config = WrappedSource(include=("x",), requirements=("requirements.txt",), **source)
    return resolve([tmp_path / "requirements.txt"], runtime, config, tmp_path, "requirements.txt")


def test_server_only_distributions_go_with_what_only_they_need(tmp_path, runtime):
    result = resolved(tmp_path, runtime, "django>=5.2\nboto3\ngunicorn\n")
    left = {package.name for package, _why in result.left_out}
    assert {"boto3", "botocore", "s3transfer", "jmespath", "gunicorn"} <= left
    assert {"django", "desktop-django", "whitenoise"} <= set(result.kept)
    assert not left & set(result.kept)
    assert result.left_out_size() > 1_000_000  # botocore alone is megabytes
    assert "boto3" not in result.lock.read_text(encoding="utf-8")


def test_keep_and_an_explicit_exclude_list_decide(tmp_path, runtime):
    kept = resolved(tmp_path, runtime, "django>=5.2\nboto3\ngunicorn\n", keep=("boto3",))
    assert "boto3" in kept.kept
    assert "gunicorn" not in kept.kept
    nothing = resolved(tmp_path, runtime, "django>=5.2\ngunicorn\n", exclude=())
    assert "gunicorn" in nothing.kept
    assert nothing.left_out == []


def test_a_conflict_is_one_stage_error_naming_the_file_and_the_pin(tmp_path, runtime):
    with pytest.raises(StageError) as raised:
        resolved(tmp_path, runtime, "django>=5.2\nwhitenoise==6.6.0\n")
    line = raised.value.line()
    assert "\n" not in line
    assert "requirements.txt" in line
    assert "whitenoise" in line
