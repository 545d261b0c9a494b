"""Faults caused for real: the action server dies, the register is unreachable, the Rasa
server restarts in the middle of a form. The customer always gets an answer."""

from __future__ import annotations

import json

import psycopg2
import pytest

from tests.support.servers import klbot, start_assistant

pytestmark = [pytest.mark.e2e]
CONTACT = "63 85 88 70"


def test_action_server_down_gives_an_apology_with_contact_details(tmp_path):
    assistant = start_assistant(tmp_path)
    try:
        actions = assistant.procs[0]
        actions.terminate()
        actions.wait(timeout=20)
        replies = " ".join(assistant.texts("fault-actions-1", "jeg vil slette alle dataene mine"))
        assert CONTACT in replies and "Beklager" in replies, replies
        # the specific policy answers are chosen by an action (actions/answers.py): without
        # the action server a policy question gets the same apology with contact details,
        # never silence or an error
        policy = " ".join(
            assistant.texts("fault-actions-2", "hvor lenge lagrer dere opplysningene?")
        )
        assert CONTACT in policy and "Beklager" in policy, policy
    finally:
        assistant.stop()


@pytest.mark.postgres
def test_register_down_gives_an_apology_and_no_half_written_ticket(tmp_path, pg_url):
    dbname = pg_url.rsplit("/", 1)[1]
    assistant = start_assistant(tmp_path, env_overrides={"KLBOT_DATABASE_URL": pg_url})
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    admin.autocommit = True
    cur = admin.cursor()
    try:
        cur.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,)
        )
        replies = " ".join(assistant.texts("fault-db-1", "stopp sms til 975 27 747"))
        assert CONTACT in replies, replies
    finally:
        cur.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')
        admin.close()
    try:
        requests = json.loads(klbot(assistant.env, "requests", "list", "--json").stdout)
        suppressions = json.loads(klbot(assistant.env, "suppressions", "export", "--json").stdout)
        # nothing is half-written: either no ticket at all, or ticket and suppression both
        opt_outs = [r for r in requests if r["kind"] == "opt_out"]
        assert len(opt_outs) == len([s for s in suppressions if s["address"] == "+4797527747"])
    finally:
        assistant.stop()


def test_rasa_restart_in_the_middle_of_a_form_continues_where_it_was(tmp_path):
    first = start_assistant(tmp_path / "first")
    env = {
        "KLBOT_DATABASE_URL": first.env["KLBOT_DATABASE_URL"],
        "KLBOT_TRACKER_STORE_URL": first.env["KLBOT_TRACKER_STORE_URL"],
        "KLBOT_ACTION_TOKEN": first.action_token,
    }
    sender = "fault-restart-1"
    try:
        first.texts(sender, "jeg vil ikke ha reklame fra dere")
        rasa = first.procs.pop()
        rasa.terminate()
        rasa.wait(timeout=30)
        second = start_assistant(
            tmp_path / "second",
            env_overrides=env,
            start_actions=False,
            action_port=first.action_port,
        )
        try:
            second.texts(sender, "sms")
            second.texts(sender, "412 34 567")
            suppressions = json.loads(klbot(second.env, "suppressions", "export", "--json").stdout)
            assert {"channel": "sms", "address": "+4741234567"} in [
                {"channel": s["channel"], "address": s["address"]} for s in suppressions
            ]
        finally:
            second.stop()
    finally:
        first.stop()
