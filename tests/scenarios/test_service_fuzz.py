"""A property-based run of schemathesis over the served OpenAPI document: whatever it sends, no 5xx.

The service runs with one-shot LibreOffice (no pool); random payloads are refused before anything is converted,
so the issue and preview paths are fuzzed too. One real letter and one real job are issued first and their ids
given to schemathesis, so the letter, job and verification-page paths are reached as well as their 404s.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from samples import EXAMPLES
from service_support import ServiceProcess


@pytest.fixture(scope="module")
def service(tmp_path_factory, data_dir):
    service = ServiceProcess(tmp_path_factory.mktemp("service-fuzz"), data_dir, pool_size=None,
                             service_toml="max_body_bytes = 262144\nmax_upload_bytes = 1048576\n"
                                          # every example reaches the page (its rate limits are tested apart)
                                          "page_views_per_minute = 0\nuploads_per_minute = 0").start()
    yield service
    service.stop()


def test_schemathesis_finds_no_server_error(service, tmp_path):
    payload = json.loads((EXAMPLES / "surat-tugas-individu.json").read_text())
    issued = service.issue(payload, mode="async")
    assert issued.status_code == 202, issued.text
    job_id = issued.json()["job_id"]
    job = service.issue(payload).json()  # waits: the same letter, issued by the first job or this one
    letter_id = job["letter_id"]

    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\n"path.letter_id" = "{letter_id}"\n"path.job_id" = "{job_id}"\n')
    command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run",
               service.url("/openapi.json"), "--header", f"Authorization: Bearer {service.token}",
               "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                           "response_schema_conformance,ignored_auth,negative_data_rejection,missing_required_header,unsupported_method",
               "--phases", "coverage,fuzzing", "--max-examples", "100", "--seed", "20230627", "--workers", "1",
               "--request-timeout", "60", "--no-shrink", "--suppress-health-check", "all"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    assert result.returncode == 0, output[-8000:]
    assert " passed" in output and "failed" not in output.split("SUMMARY")[-1], output[-4000:]
    assert service.alive
    assert service.token not in service.log
