"""The numbering register (issue 12) and the SQL layer under it, on a real SQLite file and a real PostgreSQL:
numbers consecutive and gap-free under two processes, a failed signing gives its number back, a number the
host supplies is refused when used; the SQLite file private (0600 in a 0700 folder) with secure_delete on."""
from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import stat
import time

import pytest

from naskah.database import Database, redacted
from naskah.errors import ConfigError
from naskah.lifecycle import Actor, FlowSpec, IllegalTransition, Lifecycle
from naskah.numbering import Numbering, NumberingError, NumberRegister, NumberTaken

MALANG = Numbering(format="{klasifikasi}/{urut:04d}/{kode_unit}/{tahun}")
FIELDS = {"klasifikasi": "800.1.11.1", "kode_unit": "35.73.401", "tahun": 2023}
KEY = "35.73.401/2023"


class SigningFailed(Exception):
    pass


def test_the_number_is_formed_from_the_letters_fields():
    assert MALANG.number_for(FIELDS, 123) == "800.1.11.1/0123/35.73.401/2023"
    assert MALANG.key_for(FIELDS) == KEY  # one sequence per unit and year unless the mapping says otherwise
    assert Numbering(format="{urut}/{tahun}", key="{tahun}").key_for(FIELDS) == "2023"


@pytest.mark.parametrize("form, key, says", [
    ("{klasifikasi}/{kode_unit}", "{kode_unit}", "needs the sequence {urut}"),
    ("{urut}", "{kode_unit}/{urut}", "cannot contain {urut}"),
    ("{urut}/{unit.__class__}", "{tahun}", "{unit.__class__} is not a plain field name"),
    ("{urut}/{0}", "{tahun}", "{0} is not a plain field name"),
    ("{urut}/{tahun", "{tahun}", "is not a number format"),
])
def test_a_number_format_is_checked_when_the_mapping_loads(form, key, says):
    with pytest.raises(ValueError, match=says.replace("{", r"\{").replace("}", r"\}").replace(".", r"\.")):
        Numbering(format=form, key=key)


def test_numbers_run_per_key_and_a_failed_signing_gives_its_number_back(location):
    register = NumberRegister(location)
    with register.assign(MALANG, FIELDS, letter_id="L-1") as number:
        assert number == "800.1.11.1/0001/35.73.401/2023"
    with pytest.raises(SigningFailed):
        with register.assign(MALANG, FIELDS, letter_id="L-2") as number:
            assert number == "800.1.11.1/0002/35.73.401/2023"
            raise SigningFailed
    assert register.last(KEY) == 1 and not register.is_used("800.1.11.1/0002/35.73.401/2023")
    with register.assign(MALANG, FIELDS) as number:
        assert number == "800.1.11.1/0002/35.73.401/2023"  # the failed signing's number, not the next
    with register.assign(MALANG, {**FIELDS, "tahun": 2024}) as number:
        assert number == "800.1.11.1/0001/35.73.401/2024"
    with register.assign(MALANG, {**FIELDS, "kode_unit": "35.73.402"}) as number:
        assert number == "800.1.11.1/0001/35.73.402/2023"
    with pytest.raises(NumberingError, match="the letter number needs klasifikasi, which this letter does not give"):
        with register.assign(MALANG, {"kode_unit": "35.73.401", "tahun": 2023, "klasifikasi": ""}):
            pass
    assert register.last(KEY) == 2 and register.last("35.73.403/2023") == 0


def test_a_number_the_host_supplies_is_refused_when_used_and_never_given_again(location):
    register = NumberRegister(location)
    with register.assign(MALANG, FIELDS) as number:
        pass
    with pytest.raises(NumberTaken, match=f"the number {number} is used already by another letter"):
        with register.supplied(number, letter_id="L-host"):
            pass
    with pytest.raises(SigningFailed):  # a supplied number whose signing fails stays free
        with register.supplied(" 800.1.11.1/0002/35.73.401/2023 "):
            raise SigningFailed
    assert not register.is_used("800.1.11.1/0002/35.73.401/2023")
    with register.supplied(" 800.1.11.1/0002/35.73.401/2023 ") as supplied:
        assert supplied == "800.1.11.1/0002/35.73.401/2023"
    with pytest.raises(NumberTaken):
        with register.supplied("800.1.11.1/0002/35.73.401/2023"):
            pass
    with register.assign(MALANG, FIELDS) as number:
        assert number == "800.1.11.1/0003/35.73.401/2023"  # the register moves past the host's number
    with pytest.raises(NumberingError, match="is empty"):
        with register.supplied("  "):
            pass


def _assign_in_a_process(location: str, start, results, count: int) -> None:
    register = NumberRegister(location)
    start.wait(60)
    numbers, attempt = [], 0
    while len(numbers) < count:
        attempt += 1
        try:
            with register.assign(MALANG, FIELDS, letter_id=f"{os.getpid()}-{attempt}") as number:
                if attempt % 7 == 0:
                    raise SigningFailed  # a signature that failed: its number must be given back
                numbers.append(number)
        except SigningFailed:
            pass
        time.sleep(0.003)  # rendering the next letter: the other process gets its turn
    results.put(numbers)


def test_two_processes_signing_at_once_get_200_consecutive_numbers(location):
    NumberRegister(location)  # the tables, before the race
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_assign_in_a_process, args=(location, start, results, 100))
                 for _ in range(2)]
    for process in processes:
        process.start()
    start.set()
    numbers = [results.get(timeout=120), results.get(timeout=120)]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    assert all(len(each) == 100 for each in numbers)
    every = sorted(numbers[0] + numbers[1])
    assert every == [MALANG.number_for(FIELDS, sequence) for sequence in range(1, 201)]  # distinct, none skipped
    assert NumberRegister(location).last(KEY) == 200
    for each in numbers:  # they did run at once: neither process's numbers are one unbroken run
        sequences = sorted(int(number.split("/")[1]) for number in each)
        assert sequences != list(range(sequences[0], sequences[0] + 100))


def test_signing_and_numbering_share_one_transaction(location):
    """With one Database the lifecycle's sign step joins the number's transaction: both or neither."""
    database = Database(location)
    register, lifecycle = NumberRegister(database), Lifecycle(database)
    flow = FlowSpec.model_validate({"signer": {"title": "Kepala Dinas", "person": "data.kepala"}})
    staff = Actor(user_id="u1", name="Staf")
    draft = lifecycle.create_draft(host="h", mapping="m", payload={}, flow=flow, actor=staff)
    with pytest.raises(IllegalTransition):  # not submitted: the sign step is refused, the number given back
        with register.assign(MALANG, FIELDS, letter_id=draft.id) as number:
            lifecycle.mark_signed(draft.id, staff, letter_id="L-1", number=number, signed_date=dt.date(2023, 6, 27))
    assert register.last(KEY) == 0
    lifecycle.submit(draft.id, staff)
    with register.assign(MALANG, FIELDS, letter_id=draft.id) as number:
        lifecycle.mark_signed(draft.id, staff, letter_id="L-1", number=number, signed_date=dt.date(2023, 6, 27))
    assert lifecycle.get(draft.id).number == "800.1.11.1/0001/35.73.401/2023" and register.last(KEY) == 1


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_sqlite_file_is_private_and_deleted_content_is_overwritten(tmp_path, umask_022):
    existing = _mode(tmp_path)
    database = Database(tmp_path / "data" / "state" / "naskah.sqlite")
    database.create("CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    path = database.path
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
    assert _mode(tmp_path) == existing  # a folder that existed is left as it was
    marker = "PENANDA-RAHASIA-" * 40
    with database.transaction() as db:
        db.execute("INSERT INTO notes (id, body) VALUES (?, ?)", ("a", marker))
        assert db.rows("PRAGMA secure_delete") == [(1,)]
        assert db.rows("PRAGMA journal_mode") == [("wal",)]
        assert _mode(f"{path}-wal") == 0o600 and _mode(f"{path}-shm") == 0o600
    assert marker.encode() in path.read_bytes()  # the last connection closed: the WAL is in the file
    with database.transaction() as db:
        assert db.execute("DELETE FROM notes WHERE id = ?", ("a",)) == 1
    assert b"PENANDA-RAHASIA" not in path.read_bytes()


def test_the_one_dialect_on_both_databases(location):
    database = Database(location)
    database.create("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    with database.transaction() as db:
        assert db.execute("INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING", ("50%", 1)) == 1
        assert db.execute("INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING", ("50%", 2)) == 0
        assert db.records("SELECT k, v FROM t WHERE k LIKE '50%'") == [{"k": "50%", "v": 1}]
    with pytest.raises(RuntimeError):
        with database.transaction() as db:
            db.execute("UPDATE t SET v = 9")
            raise RuntimeError
    with database.transaction(write=False) as db:
        assert db.rows("SELECT v FROM t") == [(1,)]
    assert redacted("postgresql://naskah:geheim@db.example:5432/x") == "postgresql://naskah:***@db.example:5432/x"
    assert "geheim" not in Database("postgresql://naskah:geheim@127.0.0.1:1/x").location


def test_postgresql_without_psycopg_says_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_psycopg(name, *args, **kwargs):
        if name == "psycopg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_psycopg)
    with pytest.raises(ConfigError, match="the numbering register on PostgreSQL needs psycopg"):
        NumberRegister("postgresql://naskah@127.0.0.1:1/x")
