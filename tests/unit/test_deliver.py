"""The delivery engine and the generic REST connector alone, against the tests' host DMS on 127.0.0.1: what is
refused in the configuration, a file changed after it was recorded, TLS verified against the configured CA.
Whole deliveries (issue, faults, retries) are in tests/scenarios/test_deliver_generic_rest.py."""
from __future__ import annotations

import pytest

from dms_host import HostDms, tls_for_localhost
from dms_support import TOKEN, generic_options, outbox_document, write_config
from naskah.config import load_settings
from naskah.deliver import Delivery, Outbox, connector_for
from naskah.errors import ConfigError


def test_a_lease_shorter_than_one_request_is_refused():
    with pytest.raises(ConfigError, match=r"lease_seconds \(30\) must be longer than one request can take"):
        load_settings(None, dms=generic_options("http://127.0.0.1:9/api", lease_seconds=30, read_timeout=60))


def test_a_pdf_changed_after_it_was_recorded_is_not_delivered(host, token_env, tmp_path):
    outbox = Outbox(tmp_path / "outbox.sqlite")
    document, pdf = outbox_document(1, tmp_path)
    outbox.record(document, "arsip", pdf)
    pdf.write_bytes(b"%PDF-1.7 something else")
    from naskah.deliver.options import GenericRestOptions

    delivery = Delivery(connector_for(GenericRestOptions(**generic_options(host.url))), outbox)
    result = delivery.deliver(document.idempotency_key)
    assert result.entry.state == "failed" and "SHA-256 differs" in result.entry.last_error
    assert host.received == []


def test_secrets_are_refused_in_configuration_files(tmp_path):
    config = write_config(tmp_path / "bad.toml", dms=generic_options("http://127.0.0.1:9/api", token="s3cr3t-value"))
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert "dms.generic_rest.token: Extra inputs are not permitted" in str(error.value)
    assert "s3cr3t-value" not in str(error.value)
    with pytest.raises(ConfigError, match="must not contain credentials"):
        load_settings(None, dms=generic_options("http://user:pw@127.0.0.1:9/api"))
    with pytest.raises(ConfigError, match="name of an environment variable"):
        load_settings(None, dms=generic_options("http://127.0.0.1:9/api", auth={"kind": "bearer",
                                                                               "token_env": "abc def"}))


def test_tls_is_verified_against_the_configured_ca_bundle(token_env, tmp_path):
    context, ca_file = tls_for_localhost(tmp_path)
    host = HostDms(token=TOKEN, tls=context).start()
    try:
        from naskah.deliver.options import GenericRestOptions

        outbox = Outbox(tmp_path / "outbox.sqlite")
        document, pdf = outbox_document(1, tmp_path)
        outbox.record(document, "arsip", pdf)
        untrusted = Delivery(connector_for(GenericRestOptions(**generic_options(host.url))), outbox)
        result = untrusted.deliver(document.idempotency_key)
        assert result.entry.state == "failed" and "TLS verification failed" in result.entry.last_error
        assert host.copies() == []

        trusted = Delivery(connector_for(GenericRestOptions(**generic_options(host.url, ca_bundle=str(ca_file)))),
                           outbox)
        result = trusted.deliver(document.idempotency_key, include_failed=True)
        assert result.entry.state == "delivered", result.entry.last_error
        assert [copy.sha256 for copy in host.copies()] == [document.sha256]
    finally:
        host.stop()

