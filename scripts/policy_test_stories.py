"""Write the test stories in tests/stories/: one per policy topic and chit-chat rule
(policy_stories.yml), and one per form rule: start, complete at once, submit, cancel and
every interruption of each form (request_stories.yml). ``--check`` only verifies that
the committed files are current.

Run once when topics change; the output is committed. Phrasings are customers' own words
(not copied from the NLU training data or the held-out set).
"""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ASK = {
    "ask_data_collected": "Hvilke personopplysninger har dere om meg?",
    "ask_purposes": "Hva bruker dere opplysningene mine til?",
    "ask_legal_basis": "Hva er det rettslige grunnlaget for at dere behandler dataene mine?",
    "ask_retention": "Hvor lenge lagrer dere opplysningene?",
    "ask_sharing": "Deler dere informasjonen min med andre?",
    "ask_marketing": "Hvorfor får jeg reklame fra dere på sms?",
    "ask_complaint": "Hvordan kan jeg klage på hvordan dere behandler personvern?",
}
MORE = {
    "ask_data_collected",
    "ask_purposes",
    "ask_legal_basis",
    "ask_retention",
    "ask_sharing",
    "ask_marketing",
    "ask_complaint",
}
SIMPLE = {
    "greet": ("Hei!", "utter_greet"),
    "goodbye": ("Ha det bra", "utter_goodbye"),
    "thank": ("Tusen takk for hjelpen", "utter_thank"),
    "bot_challenge": ("Er du en robot?", "utter_iamabot"),
    "help": ("Hva kan du hjelpe meg med?", "utter_help"),
    "out_of_scope": ("Hva koster en sekk pellets?", "utter_out_of_scope"),
    "ask_rights": ("Hvilke rettigheter har jeg?", "utter_ask_rights"),
    "ask_contact": ("Hvem er behandlingsansvarlig hos dere?", "utter_ask_contact"),
    "cancel": ("avbryt", "utter_nothing_to_cancel"),
}


def user(text, intent):
    return {"user": text, "intent": intent}


stories = []
for intent, text in ASK.items():
    stories.append(
        {
            "story": f"{intent} then more",
            "steps": [
                user(text, intent),
                {"action": f"utter_{intent}"},
                user("ja takk", "affirm"),
                {"action": f"utter_{intent}_more"},
            ],
        }
    )
    stories.append(
        {
            "story": f"{intent} then no more",
            "steps": [
                user(text, intent),
                {"action": f"utter_{intent}"},
                user("nei", "deny"),
                {"action": "utter_anything_else"},
            ],
        }
    )
for intent, (text, action) in SIMPLE.items():
    stories.append({"story": f"{intent}", "steps": [user(text, intent), {"action": action}]})

stories.append(
    {
        "story": "human_handoff",
        "steps": [
            user("Kan jeg få snakke med et menneske?", "human_handoff"),
            {"action": "action_human_handoff"},
        ],
    }
)

# --- requests: one story per form rule (start, complete at once, submit, cancel, interruptions)
REQUEST_TEXT = {
    "request_access": "Jeg ønsker et registerutdrag over alt dere har lagret om meg",
    "request_correction": "Opplysningene dere har om meg er feil, de må rettes",
    "request_erasure": "Jeg vil at dere fjerner alle opplysninger om meg",
    "request_restriction": "Jeg vil at dere begrenser bruken av opplysningene mine",
    "request_objection": "Jeg protesterer mot at dere bruker meg i kundeanalyser",
    "request_portability": "Kan jeg få med meg dataene mine til en annen leverandør?",
    "request_status": "Hvordan går det med forespørselen jeg sendte?",
}
# what each kind asks after the identity check: (user text, intent) per extra slot
EXTRA_TURNS = {
    "request_correction": [
        ("[adressa](field)", "inform"),
        ("Nyveien 3, 8646 Korgen", "inform"),
    ],
    "request_restriction": [("Ikke bruk opplysningene mine i statistikk", "inform")],
    "request_objection": [("kundeundersøkelser og analyser", "inform")],
}
INTERRUPT_TEXT = {
    "ask_data_collected": (
        "Hva slags opplysninger har dere registrert?",
        "utter_ask_data_collected",
    ),
    "ask_purposes": ("Hva skal dere med opplysningene?", "utter_ask_purposes"),
    "ask_legal_basis": ("Hvilket grunnlag har dere for å behandle dem?", "utter_ask_legal_basis"),
    "ask_retention": ("Hvor lenge blir opplysningene lagret?", "utter_ask_retention"),
    "ask_sharing": ("Får noen andre opplysningene mine?", "utter_ask_sharing"),
    "ask_rights": ("Hvilke rettigheter har jeg egentlig?", "utter_ask_rights"),
    "ask_marketing": ("Hvorfor sender dere meg tilbud?", "utter_ask_marketing"),
    "ask_contact": ("Hvem er ansvarlig for personvernet hos dere?", "utter_ask_contact"),
    "ask_complaint": ("Hvor klager jeg hvis jeg er misfornøyd?", "utter_ask_complaint"),
    "help": ("Hva kan du egentlig gjøre?", "utter_help"),
    "bot_challenge": ("Snakker jeg med en maskin?", "utter_iamabot"),
    "human_handoff": ("Jeg vil heller snakke med en person", "action_human_handoff"),
    "out_of_scope": ("Når kommer neste levering av ved?", "utter_out_of_scope"),
}


def form_turn(form, text, intent="inform"):
    return [user(text, intent), {"action": form}]


def submit(form, action):
    return [
        {"action": form},
        {"active_loop": None},
        {"slot_was_set": [{"requested_slot": None}]},
        {"action": action},
        {"action": "action_reset_request"},
    ]


OPT_OUT_START = [
    user("Jeg vil slippe reklamen deres", "request_opt_out"),
    {"action": "action_reset_request"},
    {"action": "opt_out_form"},
    {"active_loop": "opt_out_form"},
]
request_stories = [
    {
        "story": "opt-out, asked for channel and number",
        "steps": OPT_OUT_START
        + form_turn("opt_out_form", "[tekstmeldinger](marketing_channel)")
        + [user("[480 12 345](phone_number)", "inform")]
        + submit("opt_out_form", "action_submit_opt_out"),
    },
    {
        "story": "opt-out complete at once",
        "steps": [
            user(
                "ikke send flere [sms](marketing_channel) til [48012345](phone_number)",
                "request_opt_out",
            ),
            {"action": "action_reset_request"},
            {"action": "opt_out_form"},
            {"active_loop": None},
            {"slot_was_set": [{"requested_slot": None}]},
            {"action": "action_submit_opt_out"},
            {"action": "action_reset_request"},
        ],
    },
    {
        "story": "opt-out cancelled",
        "steps": OPT_OUT_START
        + [
            user("glem det, avbryt", "cancel"),
            {"action": "action_deactivate_loop"},
            {"active_loop": None},
            {"action": "action_reset_request"},
            {"action": "utter_cancelled"},
        ],
    },
]
for intent, (text, action) in INTERRUPT_TEXT.items():
    request_stories.append(
        {
            "story": f"opt-out interrupted by {intent}",
            "steps": OPT_OUT_START
            + [user(text, intent), {"action": action}, {"action": "opt_out_form"}]
            + form_turn("opt_out_form", "[e-post](marketing_channel)")
            + [user("[kari@eksempel.no](email)", "inform")]
            + submit("opt_out_form", "action_submit_opt_out"),
        }
    )


def rights_start(intent):
    return [
        user(REQUEST_TEXT[intent], intent),
        {"action": "action_start_request"},
        {"action": "rights_form"},
        {"active_loop": "rights_form"},
    ]


IDENTITY = [("[kari@eksempel.no](email)", "inform"), ("[482913](otp_code)", "inform")]
for intent in REQUEST_TEXT:
    turns = IDENTITY + EXTRA_TURNS.get(intent, [])
    steps = rights_start(intent)
    for text, turn_intent in turns[:-1]:
        steps += form_turn("rights_form", text, turn_intent)
    steps += [user(*turns[-1])] + submit("rights_form", "action_submit_rights_request")
    request_stories.append({"story": f"{intent} with identity check", "steps": steps})
    request_stories.append(
        {
            "story": f"{intent} complete at once (verified by the channel)",
            "steps": [
                user(REQUEST_TEXT[intent], intent),
                {"action": "action_start_request"},
                {"action": "rights_form"},
                {"active_loop": None},
                {"slot_was_set": [{"requested_slot": None}]},
                {"action": "action_submit_rights_request"},
                {"action": "action_reset_request"},
            ],
        }
    )
request_stories.append(
    {
        "story": "rights request cancelled after the e-mail",
        "steps": rights_start("request_erasure")
        + form_turn("rights_form", "[kari@eksempel.no](email)")
        + [
            user("nei, jeg angrer, avbryt", "cancel"),
            {"action": "action_deactivate_loop"},
            {"active_loop": None},
            {"action": "action_reset_request"},
            {"action": "utter_cancelled"},
        ],
    }
)
for intent, (text, action) in INTERRUPT_TEXT.items():
    request_stories.append(
        {
            "story": f"rights request interrupted by {intent}",
            "steps": rights_start("request_access")
            + [user(text, intent), {"action": action}, {"action": "rights_form"}]
            + form_turn("rights_form", "[kari@eksempel.no](email)")
            + [user("[482913](otp_code)", "inform")]
            + submit("rights_form", "action_submit_rights_request"),
        }
    )


def render(items) -> str:
    return "# Generated by scripts/policy_test_stories.py\n" + yaml.safe_dump(
        {"version": "3.1", "stories": items}, allow_unicode=True, sort_keys=False, width=100
    )


OUTPUTS = {"policy_stories.yml": stories, "request_stories.yml": request_stories}
stale = []
for name, items in OUTPUTS.items():
    out = ROOT / "tests" / "stories" / name
    if "--check" in sys.argv:
        if not out.exists() or out.read_text(encoding="utf-8") != render(items):
            stale.append(name)
        continue
    out.write_text(render(items), encoding="utf-8")
    print(f"wrote {len(items)} stories to {out.relative_to(ROOT)}")
if stale:
    print("Out of date (run python scripts/policy_test_stories.py):", ", ".join(stale))
    sys.exit(1)
