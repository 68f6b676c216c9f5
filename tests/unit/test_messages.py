"""Every rule's refusal in Indonesian (the default) and in English, by the language of the moment and by the
installation's ``language`` setting (the CLI): the same field paths, only the words differ. And the reviewer's
check: a payload with six different mistakes gives six Indonesian lines a secretariat can act on."""
from __future__ import annotations

import json
import re

import pytest

from naskah.cli import main
from naskah.errors import PayloadError
from naskah.i18n import language
from refusals import REFUSALS


def _refusal(naskah, payload, lang: str) -> PayloadError:
    with language(lang), pytest.raises(PayloadError) as caught:
        naskah.prepare(payload, source="payload.json")
    return caught.value


def _messages_of(error: PayloadError, field: str) -> list[str]:
    return [problem.message for problem in error.problems if problem.field == field]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[refusal.name for refusal in REFUSALS])
def test_each_rule_refuses_in_indonesian_and_in_english_naming_the_same_fields(naskah, refusal):
    indonesian = _refusal(naskah, refusal.payload(), "id")
    english = _refusal(naskah, refusal.payload(), "en")
    assert [p.field for p in indonesian.problems] == [p.field for p in english.problems]
    assert any(refusal.indonesian in message for message in _messages_of(indonesian, refusal.field)), indonesian
    assert any(refusal.english in message for message in _messages_of(english, refusal.field)), english
    assert str(indonesian).startswith("payload payload.json ditolak, ")
    assert str(english).startswith("payload payload.json refused, ")


@pytest.fixture
def installation(tmp_path, data_dir):
    """A configuration file per language, and where the payload goes."""
    def configure(lang: str) -> str:
        config = tmp_path / f"naskah-{lang}.toml"
        config.write_text(f'language = "{lang}"\ndata_dir = "{data_dir}"\nstore_dir = "{tmp_path / "store"}"\n')
        return str(config)
    return configure


@pytest.mark.parametrize("refusal", REFUSALS, ids=[refusal.name for refusal in REFUSALS])
def test_the_language_setting_chooses_the_language_of_the_command(installation, tmp_path, capsys, monkeypatch,
                                                                    refusal):
    monkeypatch.delenv("NASKAH_LANGUAGE")
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(refusal.payload()), encoding="utf-8")
    where = f"  - {refusal.field}: " if refusal.field else "  - "
    for lang, expected in (("id", refusal.indonesian), ("en", refusal.english)):
        assert main(["--config", installation(lang), "issue", str(payload)]) == 1
        err = capsys.readouterr().err
        assert any(line.startswith(where) and expected in line for line in err.splitlines()), err
    assert main(["--config", installation("id"), "issue"]) == 2  # no payload given: the usage line is Indonesian
    assert "berikan satu atau beberapa berkas payload" in capsys.readouterr().err


def test_six_mistakes_give_six_indonesian_lines_a_secretariat_can_act_on(naskah, sample):
    """The reviewer's check: a payload as a host would send it with six different mistakes."""
    payload = sample("surat-tugas-tim")
    data = payload["data"]
    del data["nomor"]                                        # 1. no letter number
    data["dasar"] = []                                       # 2. no legal basis (Dasar)
    data["tim"]["anggota"][2]["nip"] = "198811052012131001"  # 3. NIP with month 13
    data["tim"]["anggota"][3]["peran"] = "Ketua"             # 4. two Ketua
    data["tim"]["anggota"][1]["peran"] = "sekretaris"        # 5. a role that does not exist
    data["berlaku_sampai"] = "2023-01-01"                    # 6. validity ends before the date of issue
    with language("id"):
        with pytest.raises(PayloadError) as caught:
            naskah.prepare(payload, source="surat-tugas-tim.json")
    lines = str(caught.value).splitlines()
    assert lines == [
        "payload surat-tugas-tim.json ditolak, 6 masalah:",
        "  - data.nomor: wajib diisi, tidak ada dalam payload",
        "  - data.dasar: harus berisi paling sedikit 1 butir; yang diisikan 0 butir "
        "[Perwal Kota Malang 16/2023 Lampiran huruf C]",
        "  - data.tim.anggota[1].peran: harus diisi 'ketua' atau 'anggota' (yang diisikan: 'sekretaris')",
        "  - data.tim.anggota[2].nip: NIP 198811052012131001: digit ke-9 sampai ke-14 harus tahun dan bulan "
        "pengangkatan (TTTTBB) [aturan naskah (struktur NIP)]",
        "  - data.tim.anggota: tim kerja harus memiliki tepat satu Ketua Tim; ditemukan 2: [0] Ahmad Fauzi, S.Kom., "
        "M.T., [3] Siti Nurhaliza, S.Sos. [Perwal Kota Malang 16/2023 Pasal 9 ayat (3)]",
        "  - data.berlaku_sampai: masa berlaku berakhir 1 Januari 2023, sebelum tanggal ditetapkan 27 Juni 2023 "
        "[Perwal Kota Malang 16/2023 Lampiran huruf C]",
    ]
    english = _refusal(naskah, payload, "en")
    assert [p.field for p in english.problems] == [p.field for p in caught.value.problems]


def test_the_signature_flow_and_signing_refuse_in_indonesian_keeping_their_codes():
    import datetime as dt

    from naskah.lifecycle.errors import ILLEGAL, WRONG_STEP, IllegalTransition
    from naskah.numbering import NumberTaken
    from naskah.sign.errors import SignerLocked

    until = dt.datetime(2026, 3, 5, 7, 30, tzinfo=dt.timezone.utc)
    with language("id"):
        refused = IllegalTransition(ILLEGAL, draft_id="D-1", action="sign", state="draft")
        wrong_step = IllegalTransition(WRONG_STEP, draft_id="D-1", action="paraf", state="in_review", tried=2,
                                       tried_title="Sekretaris", count=2, pending=1, pending_title="Kasubag Umum")
        locked = SignerLocked("penanda tangan BSrE dengan NIK 357301******0002", 5, until)
        taken = NumberTaken("800/0123/35.73.401/2023")
    assert str(refused) == "konsep D-1 tidak dapat ditandatangani: statusnya konsep"
    assert (refused.state, refused.action) == ("draft", "sign")  # the codes hosts read stay as they are
    assert str(wrong_step) == ("konsep D-1 tidak dapat diparaf oleh Sekretaris (paraf ke-2 dari 2): statusnya dalam "
                               "pemeriksaan (paraf) dan menunggu paraf Kasubag Umum (paraf ke-1 dari 2)")
    assert str(locked) == ("penanda tangan BSrE dengan NIK 357301******0002 dikunci setelah 5 kali berturut-turut "
                           "kredensialnya ditolak: naskah tidak meneruskan percobaan tanda tangan untuk penanda tangan "
                           "ini sampai 2026-03-05 14:30 WIB")
    assert str(taken) == "nomor 800/0123/35.73.401/2023 sudah dipakai oleh surat lain"
    with language("en"):
        assert str(IllegalTransition(ILLEGAL, draft_id="D-1", action="sign", state="draft")) == \
            "cannot sign draft D-1: it is draft"


def test_a_verification_report_reads_in_indonesian():
    import datetime as dt

    from naskah.i18n import N_, Text
    from naskah.validation import SignatureReport, VerificationReport

    sig = SignatureReport(field_name="Tanda_Tangan", signer="Dr. Agus Salim", intact=False, valid=True, trusted=True,
                          signing_time=dt.datetime(2026, 11, 23, 10, 46, 45, tzinfo=dt.timezone.utc), level="B-B",
                          subfilter="/ETSI.CAdES.detached",
                          problems=[Text(N_("the signed content was changed after signing (digest mismatch)"))])
    report = VerificationReport(signatures=[sig], trust_checked=True)
    with language("id"):
        text = report.to_text()
    assert "  utuh:                TIDAK\n" in text and "  penanda tangan:      Dr. Agus Salim\n" in text
    assert "  MASALAH: isi yang ditandatangani telah diubah setelah penandatanganan (digest tidak cocok)" in text
    assert text.endswith("Hasil: TIDAK SAH")
    assert sig.problems == ["the signed content was changed after signing (digest mismatch)"]  # kept in English
    with language("en"):
        assert "  intact:        NO\n" in report.to_text() and report.to_text().endswith("Result: NOT OK")


def test_naskah_check_findings_read_in_indonesian(settings, tmp_path):
    from naskah.check import check

    without_templates = settings.model_copy(update={"templates_dir": tmp_path})
    with language("id"):
        lines = check(without_templates).to_text().splitlines()
    assert f"kesalahan: surat_tugas_tim.yaml: templat {tmp_path / 'surat_tugas_tim.docx'} tidak ada" in lines
    assert re.fullmatch(r"\d+ mapping diperiksa, \d+ kesalahan, \d+ peringatan", lines[-1]), lines[-1]
