"""Generate domain.yml, data/rules.yml and tests/test_rules_stories.yml.

The policy answers, forms and rules follow regular patterns (every policy topic: an
answer, a "vil du vite mer?" follow-up, and an interruption rule for each form), so they
are written once here and the YAML is generated and committed. Edit this file, then run
``python scripts/gen_dialogue.py``; a test checks the committed YAML is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

COMPANY = "KL Miljøvarme"
PHONE = "+47 63 85 88 70"
MOBILE = "+47 975 27 747"
EMAIL = "biokjell@miljovarme.no"
ADDRESS = "Langstranda 571, NO-1970 Hemnes"
CONTACT_LINE = f"tlf. {PHONE}, mobil {MOBILE} eller e-post {EMAIL}"
WRITTEN_ROUTE = (
    "Du kan også sende forespørselen skriftlig og underskrevet, med kopi av ID-dokument, til "
    f"{COMPANY}, {ADDRESS}. Merk konvolutten «Registrer ekstra persondata»."
)

# topic intent -> (short answer, details for "vil du vite mer?")
POLICY = {
    "ask_data_collected": (
        "Vi behandler opplysningene du selv har gitt oss som kunde: adresse, telefonnummer, "
        "e-post og kontaktperson. Vil du vite mer?",
        "Opplysningene brukes for å oppfylle våre forpliktelser overfor deg som kunde i henhold "
        "til loven, og ligger i kunderegisteret vårt. Du kan be om innsyn (registerutdrag) når "
        "som helst. Spør gjerne hva vi bruker dem til, eller hvor lenge de lagres.",
    ),
    "ask_purposes": (
        "Vi bruker opplysningene til å 1) håndtere tilbud, bestillinger, kjøp og "
        "retur/reklamasjon, 2) levere bestilte produkter, 3) fakturering og administrasjon, "
        "4) markedsføring, 5) kundeoppfølging, analyser og statistikk, 6) innlogging på "
        "nettsiden, 7) kundestøtte. Vil du vite mer?",
        "Markedsføring skjer via kampanjer og tilbud på brevpost, e-post og SMS, og vi kan sende "
        "informasjon om aktiviteter. Oppfølging betyr kundeanalyser og statistikk. Kundestøtte er "
        "for eksempel å svare på spørsmål og hjelpe deg. Spør gjerne om det juridiske grunnlaget.",
    ),
    "ask_legal_basis": (
        "Ordre, levering, kundestøtte, innlogging på nettsiden og analyser: rettslig grunnlag. "
        "Fakturering: rettslige krav (lovpålagt). Direkte markedsføring og kundeundersøkelser: "
        "berettiget interesse. Vil du vite mer?",
        "Når behandlingen bygger på berettiget interesse (direkte markedsføring og "
        "kundeundersøkelser for å forbedre produkter og tjenester), har du rett til å protestere. "
        "Reklame kan du stoppe når som helst, uten begrunnelse: skriv «stopp reklame».",
    ),
    "ask_retention": (
        "Opplysningene lagres i kunderegisteret så lenge du er kunde hos oss. I visse tilfeller "
        "lagres de lenger fordi loven krever det. Kundesøknader oppbevares i 3 måneder. "
        "Vil du vite mer?",
        "Et eksempel på lovkrav er bokføringsregler for fakturaer. Du kan be om sletting, men det "
        "vi trenger for å gjennomføre en avtale med deg, eller som loven krever at vi beholder, "
        "kan vi ikke slette.",
    ),
    "ask_sharing": (
        "Når det er påkrevd, deler vi opplysninger med mottakere som handler uavhengig av oss, "
        "for eksempel myndigheter (politi, skattemyndigheter), redningstjenester og domstoler. "
        "Vil du vite hva erklæringen sier om leverandører?",
        "Personvernerklæringen sier: «KL Miljøvarme kan ikke levere ut dine personopplysninger "
        "til leverandører som behandler IT-tjenester, distribusjon – og spedisjonstjenester, "
        "kommunikasjonstjenester etc.» Har du spørsmål om dette, kontakt oss på "
        + CONTACT_LINE
        + ".",
    ),
    "ask_rights": (
        "Du har rett til innsyn (registerutdrag), retting, sletting, å protestere mot behandling "
        "basert på berettiget interesse, begrensning av behandlingen og dataportabilitet. Du kan "
        "også klage til Datatilsynet. Hva vil du gjøre?",
        None,
    ),
    "ask_marketing": (
        "Vi markedsfører produktene våre med kampanjer og tilbud via brevpost, e-post og SMS, og "
        "kan sende informasjon om aktiviteter. Det bygger på berettiget interesse. Du kan når som "
        "helst stoppe det: skriv «stopp reklame» (eller STOPP på SMS). Vil du vite mer?",
        "Du har rett til å motsette deg direkte markedsføring når som helst, uten å oppgi grunn og "
        "uten å bevise hvem du er. Reservasjonen gjelder den kanalen du velger: SMS, e-post, brev "
        "eller alle, og gjelder med en gang.",
    ),
    "ask_contact": (
        f"Behandlingsansvarlig er {COMPANY} v/ Kjell Langsrud, {ADDRESS}. Tlf. {PHONE}, mobil "
        f"{MOBILE}, e-post {EMAIL}.",
        None,
    ),
    "ask_complaint": (
        "Mener du at vi ikke behandler personopplysningene dine i tråd med regelverket, kontakt "
        f"oss først: {CONTACT_LINE}. Du har også rett til å klage til Datatilsynet "
        "(datatilsynet.no). Vil du vite mer?",
        "Datatilsynet er tilsynsmyndigheten for personvern i Norge. Du kan klage dit uansett om du "
        f"har kontaktet oss først. Skriv gjerne til oss på {EMAIL} så vi kan rette opp feil raskt.",
    ),
}

RIGHTS_BUTTONS = [
    ("Innsyn", "/request_access"),
    ("Retting", "/request_correction"),
    ("Sletting", "/request_erasure"),
    ("Stopp reklame", "/request_opt_out"),
    ("Protest", "/request_objection"),
    ("Begrensning", "/request_restriction"),
    ("Dataportabilitet", "/request_portability"),
]
TOPIC_BUTTONS = [
    ("Hvilke opplysninger?", "/ask_data_collected"),
    ("Hva brukes de til?", "/ask_purposes"),
    ("Mine rettigheter", "/ask_rights"),
    ("Stopp reklame", "/request_opt_out"),
]

# request intent -> (kind, intro shown before identity verification)
REQUESTS = {
    "request_access": (
        "access",
        "Du har rett til innsyn: et registerutdrag med opplysningene vi har om deg. For å beskytte "
        "opplysningene dine må vi først bekrefte hvem du er.",
    ),
    "request_correction": (
        "correction",
        "Du har rett til å få feil opplysninger rettet eller fullført. For å beskytte "
        "opplysningene dine må vi først bekrefte hvem du er.",
    ),
    "request_erasure": (
        "erasure",
        "Du kan under visse omstendigheter få opplysningene dine slettet. Det vi trenger for å "
        "gjennomføre en avtale med deg, eller som loven krever at vi beholder (for eksempel "
        "fakturaer og regnskap), kan vi ikke slette. Først må vi bekrefte hvem du er.",
    ),
    "request_restriction": (
        "restriction",
        "Du har rett til å be om at vi begrenser behandlingen av opplysningene dine. Først må vi "
        "bekrefte hvem du er.",
    ),
    "request_objection": (
        "objection",
        "Du har rett til å protestere mot behandling som bygger på berettiget interesse, som "
        "kundeundersøkelser og analyser. Først må vi bekrefte hvem du er.",
    ),
    "request_portability": (
        "portability",
        "Du har rett til å få opplysningene du har gitt oss i et maskinlesbart format, for å "
        "flytte dem til et annet selskap. Først må vi bekrefte hvem du er.",
    ),
    "request_status": (
        "status",
        "Jeg kan sjekke status på forespørslene dine. Først må vi bekrefte hvem du er.",
    ),
}

CHITCHAT = {
    "greet": [
        {
            "text": f"Hei! Jeg er personvernassistenten til {COMPANY}. Spør meg om hvordan vi "
            "behandler personopplysninger, eller be om innsyn, retting, sletting eller å slippe "
            "reklame.",
            "buttons": TOPIC_BUTTONS,
        }
    ],
    "goodbye": [{"text": "Ha en fin dag! Du er velkommen tilbake om du lurer på noe mer."}],
    "thank": [{"text": "Bare hyggelig! Er det noe mer jeg kan hjelpe med?"}],
    "bot_challenge": [
        {
            "text": "Jeg er en automatisk assistent (en chatbot), ikke et menneske. Vil du snakke "
            f"med en person hos {COMPANY}, ring {PHONE} eller skriv til {EMAIL}."
        }
    ],
    "human_handoff": [
        {
            "text": f"Du kan snakke med Kjell Langsrud hos {COMPANY}: ring {PHONE} eller mobil "
            f"{MOBILE}, eller send e-post til {EMAIL}. Jeg kan også registrere en forespørsel her."
        }
    ],
    "help": [
        {
            "text": "Jeg svarer på spørsmål om personvernerklæringen til "
            f"{COMPANY} og tar imot forespørsler: stoppe reklame, innsyn, retting, sletting, "
            "begrensning, protest, dataportabilitet og status på en sak. Hva vil du?",
            "buttons": TOPIC_BUTTONS + RIGHTS_BUTTONS[:3] + [("Status på sak", "/request_status")],
        }
    ],
    "out_of_scope": [
        {
            "text": "Det kan jeg dessverre ikke svare på, jeg hjelper bare med personvern. For "
            f"priser, leveranser og andre spørsmål, kontakt {COMPANY} på {PHONE} eller {EMAIL}."
        }
    ],
}


def buttons(pairs):
    return [{"title": t, "payload": p} for t, p in pairs]


def resp(text, btns=None):
    r = {"text": text}
    if btns:
        r["buttons"] = buttons(btns)
    return [r]


CHANNEL_HINT = "Svar SMS, e-post, brev eller alle."
FIELD_HINT = "Svar navn, adresse, telefon, e-post eller kontaktperson."
NO_CODE_HINT = "Fikk du ingen kode, skriv «ingen kode»."


def variants(default: str, by_slot: str, cases: dict, btns=None) -> list:
    """A response with one conditional variation per value of ``by_slot``."""
    out = []
    for value, text in cases.items():
        variation = {"condition": [{"type": "slot", "name": by_slot, "value": value}], "text": text}
        if btns:
            variation["buttons"] = buttons(btns)
        out.append(variation)
    out.extend(resp(default, btns))
    return out


FIELD_BUTTONS = [
    ("Navn", '/inform{"field":"name"}'),
    ("Adresse", '/inform{"field":"address"}'),
    ("Telefon", '/inform{"field":"phone"}'),
    ("E-post", '/inform{"field":"email"}'),
    ("Kontaktperson", '/inform{"field":"contact_person"}'),
]
CHANNEL_BUTTONS = [
    ("SMS", '/inform{"marketing_channel":"sms"}'),
    ("E-post", '/inform{"marketing_channel":"email"}'),
    ("Brev", '/inform{"marketing_channel":"post"}'),
    ("Alle", '/inform{"marketing_channel":"all"}'),
]

# Form questions and the assistant's answers to what the customer types in a form. The
# replies never depend on whether the person is in the register: {placeholders} are filled
# by the actions with the reference, due date and the like, never with register data.
FORM_RESPONSES = {
    # --- opt-out -------------------------------------------------------------------------
    "utter_ask_opt_out_form_marketing_channel": resp(
        "Hvilken reklame vil du stoppe? " + CHANNEL_HINT, CHANNEL_BUTTONS
    ),
    "utter_ask_opt_out_form_contact_point": variants(
        "Hvilket mobilnummer, hvilken e-postadresse eller hvilken postadresse gjelder det?",
        "contact_kind",
        {
            "phone": "Hvilket mobilnummer gjelder det?",
            "email": "Hvilken e-postadresse gjelder det?",
            "post": "Hvilken postadresse gjelder det? Du kan også gi mobilnummeret eller "
            "e-postadressen vi har registrert på deg.",
        },
    ),
    "utter_opt_out_channel_unclear": resp("Jeg forsto ikke hvilken reklame. " + CHANNEL_HINT),
    "utter_invalid_phone": resp(
        "Det ser ikke ut som et gyldig norsk mobilnummer. Skriv det med 8 siffer, for eksempel "
        "975 27 747."
    ),
    "utter_invalid_email": resp(
        "Det ser ikke ut som en gyldig e-postadresse. Prøv igjen, for eksempel ola@example.com."
    ),
    "utter_invalid_contact_point": resp(
        "Jeg fant ikke et mobilnummer, en e-postadresse eller en postadresse i det du skrev. "
        "Prøv igjen, for eksempel 975 27 747 eller ola@example.com."
    ),
    "utter_need_phone": resp(
        "For å stoppe reklame på SMS trenger jeg mobilnummeret. Skriv det med 8 siffer, for "
        "eksempel 975 27 747."
    ),
    "utter_need_email": resp(
        "For å stoppe reklame på e-post trenger jeg e-postadressen, for eksempel ola@example.com."
    ),
    "utter_opt_out_done": resp(
        "Ferdig. Vi har registrert at {contact} ikke skal få reklame fra "
        + COMPANY
        + " på {channels}. Det gjelder fra nå. Referanse: {reference}."
    ),
    # --- identity ------------------------------------------------------------------------
    "utter_ask_rights_form_identifier": resp(
        "Hvilken e-postadresse eller hvilket mobilnummer har du registrert hos oss? Hvis vi "
        "finner deg i kunderegisteret, sender vi en engangskode dit."
    ),
    "utter_invalid_identifier": resp(
        "Det ser ikke ut som en gyldig e-postadresse eller et norsk mobilnummer. Prøv igjen, for "
        "eksempel ola@example.com eller 975 27 747. Vil du avslutte, skriv «avbryt»."
    ),
    "utter_identifier_need_contact": resp(
        "Takk. Jeg trenger også e-postadressen eller mobilnummeret du har registrert hos oss."
    ),
    "utter_identifier_wait": resp(
        "Vi kan sende en ny kode høyst én gang i minuttet. Vent litt, og skriv e-postadressen "
        "eller mobilnummeret på nytt."
    ),
    "utter_channel_verified": resp(
        "Du skriver fra et telefonnummer som er registrert hos oss, så du trenger ingen kode."
    ),
    "utter_ask_rights_form_otp_code": variants(
        "Hvis vi finner deg i kunderegisteret, har vi nå sendt en engangskode på 6 siffer til "
        "kontaktinformasjonen vi har registrert. Koden gjelder i 10 minutter. Skriv koden her. "
        + NO_CODE_HINT,
        "otp_state",
        {
            "wrong": "Koden stemmer ikke. Du har {otp_attempts_left} forsøk igjen. Skriv koden "
            "på nytt. " + NO_CODE_HINT,
            "invalid": "Koden består av 6 siffer. Skriv den slik den står i meldingen. "
            + NO_CODE_HINT,
            "resent": "Hvis vi finner deg i kunderegisteret, har vi nå sendt en ny kode til "
            "kontaktinformasjonen vi har registrert. Skriv den her. " + NO_CODE_HINT,
            "wait": "Du kan få en ny kode om et minutt. Skriv koden du har fått, eller «ny "
            "kode» litt senere. " + NO_CODE_HINT,
            "expired": "Koden er utløpt. Skriv «ny kode» for å få en ny. " + NO_CODE_HINT,
        },
    ),
    "utter_code_ok": resp("Takk, koden stemmer. Identiteten din er bekreftet."),
    "utter_code_locked": variants(
        "Koden ble skrevet feil for mange ganger, så jeg kan ikke bekrefte identiteten din her. "
        "Jeg tar likevel imot forespørselen.",
        "request_kind",
        {"status": "Koden ble skrevet feil for mange ganger."},
    ),
    "utter_code_skipped": variants(
        "Greit. Da kan jeg ikke bekrefte identiteten din her, men jeg tar likevel imot "
        "forespørselen.",
        "request_kind",
        {"status": "Greit."},
    ),
    # --- request details -----------------------------------------------------------------
    "utter_ask_rights_form_correction_field": resp(
        "Hvilken opplysning er feil? " + FIELD_HINT, FIELD_BUTTONS
    ),
    "utter_invalid_field": resp("Jeg forsto ikke hvilken opplysning. " + FIELD_HINT, FIELD_BUTTONS),
    "utter_ask_rights_form_correction_value": variants(
        "Hva er den riktige opplysningen?",
        "correction_field",
        {
            "name": "Hva er riktig navn?",
            "address": "Hva er riktig adresse (gate, postnummer og sted)?",
            "phone": "Hva er riktig telefonnummer?",
            "email": "Hva er riktig e-postadresse?",
            "contact_person": "Hvem er riktig kontaktperson?",
        },
    ),
    "utter_invalid_text_value": resp(
        "Det ble litt kort. Skriv den riktige opplysningen, eller «avbryt» for å avslutte."
    ),
    "utter_ask_rights_form_request_details": variants(
        "Hva gjelder det? Beskriv kort med egne ord.",
        "request_kind",
        {
            "restriction": "Hvilken behandling vil du at vi skal begrense, og hvorfor? Beskriv "
            "kort med egne ord.",
            "objection": "Hva protesterer du mot? For eksempel kundeundersøkelser, analyser eller "
            "statistikk. (Vil du stoppe reklame, skriv «stopp reklame».)",
        },
    ),
    "utter_invalid_details": resp(
        "Skriv gjerne litt mer, så vi forstår hva det gjelder. Eller skriv «avbryt»."
    ),
    # --- results -------------------------------------------------------------------------
    "utter_request_registered_verified": resp(
        "Takk! Forespørselen om {kind} er registrert med referanse {reference}. Vi svarer senest "
        "{due_date}, til kontaktinformasjonen vi har registrert på deg."
    ),
    "utter_request_registered_unverified": resp(
        "Forespørselen om {kind} er registrert med referanse {reference}, frist {due_date}, men "
        "uten bekreftet identitet. Send den underskrevet, med kopi av ID-dokument og referansen, "
        f"til {COMPANY}, {ADDRESS}, merket «Registrer ekstra persondata». Tlf. {PHONE}."
    ),
    "utter_erasure_limits": resp(
        "Merk: Det vi må beholde etter loven, for eksempel fakturaer og regnskap etter "
        "bokføringsreglene, og det vi trenger for å gjennomføre en avtale med deg, kan vi ikke "
        "slette. I svaret vårt står det hva som er slettet og hva vi har beholdt."
    ),
    "utter_portability_format": resp(
        "Du får opplysningene du har gitt oss i et maskinlesbart format, som du kan ta med til "
        "et annet selskap."
    ),
    "utter_status_open": resp("Åpne forespørsler: {lines}"),
    "utter_status_none": resp("Vi har ingen åpne forespørsler fra deg akkurat nå."),
    "utter_status_unverified": resp(
        "Uten bekreftet identitet kan jeg ikke vise status her. Kontakt oss på "
        + CONTACT_LINE
        + ", og oppgi referansen hvis du har den."
    ),
}


def build_domain() -> dict:
    intents = [
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "human_handoff",
        "help",
        "cancel",
        "out_of_scope",
        "inform",
        *POLICY,
        *REQUESTS,
        "request_opt_out",
    ]
    responses: dict = {}
    for intent, (short, more) in POLICY.items():
        btns = RIGHTS_BUTTONS if intent == "ask_rights" else None
        responses[f"utter_{intent}"] = resp(short, btns)
        if more:
            responses[f"utter_{intent}_more"] = resp(more)
    for intent, variants in CHITCHAT.items():
        name = {"bot_challenge": "utter_iamabot"}.get(intent, f"utter_{intent}")
        responses[name] = [
            {**v, "buttons": buttons(v["buttons"])} if "buttons" in v else v for v in variants
        ]
    for intent, (_kind, intro) in REQUESTS.items():
        responses[f"utter_start_{intent}"] = resp(intro)
    responses.update(
        {
            "utter_anything_else": resp("Greit. Er det noe annet jeg kan hjelpe med?"),
            "utter_affirm_no_context": resp(
                "Hva kan jeg hjelpe med? Du kan spørre om personvernerklæringen eller be om "
                "innsyn, retting, sletting eller å slippe reklame.",
                TOPIC_BUTTONS,
            ),
            "utter_inform_no_context": resp(
                "Takk. Hva gjelder det? Jeg bruker ikke opplysningen før du har valgt hva du vil "
                "gjøre.",
                RIGHTS_BUTTONS[:4] + [("Status på sak", "/request_status")],
            ),
            "utter_nothing_to_cancel": resp(
                "Det er ingen forespørsel i gang som kan avbrytes. Vil du stoppe reklame, skriv "
                "«stopp reklame»."
            ),
            "utter_cancelled": resp(
                "Greit, jeg har avbrutt. Ingenting av det du skrev i denne forespørselen er "
                "lagret. Er det noe annet jeg kan hjelpe med?"
            ),
            "utter_please_rephrase": resp(
                "Beklager, jeg er ikke sikker på at jeg forsto. Kan du si det på en annen måte? "
                "Eller velg et tema:",
                TOPIC_BUTTONS,
            ),
            "utter_default": resp(
                "Beklager, det klarte jeg ikke å svare på. Prøv å spørre på en annen måte, eller "
                f"kontakt oss på {PHONE} eller {EMAIL}."
            ),
            "utter_continue_form": resp("La oss fortsette der vi var."),
            "utter_register_down": resp(
                "Beklager, vi har et teknisk problem akkurat nå, så jeg fikk ikke fullført "
                "forespørselen. Prøv igjen litt senere, eller kontakt "
                + COMPANY
                + " på "
                + CONTACT_LINE
                + "."
            ),
            "utter_handoff_in_form": resp(
                "Vil du heller fortsette her, svarer du bare på spørsmålet under. Skriv «avbryt» "
                "for å avslutte."
            ),
        }
    )
    responses.update(FORM_RESPONSES)
    text_slot = {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}
    slots = {
        "request_kind": {
            "type": "categorical",
            "values": [k for k, _ in REQUESTS.values()],
            "influence_conversation": False,
            "mappings": [{"type": "custom"}],
        },
        # rights_form: who the person says they are, and how that was checked
        "identifier": dict(text_slot),
        "customer_number": dict(text_slot),
        "otp_code": dict(text_slot),  # a marker (ok, channel, failed, skipped), never the code
        "otp_state": dict(text_slot),  # which way to ask for the code again
        "otp_attempts_left": dict(text_slot),
        "challenge_id": dict(text_slot),
        "verified": {
            "type": "bool",
            "influence_conversation": False,
            "mappings": [{"type": "custom"}],
        },
        "verification_method": dict(text_slot),
        # rights_form: what the request is about
        "correction_field": dict(text_slot),
        "correction_value": dict(text_slot),
        "request_details": dict(text_slot),
        # opt_out_form
        "marketing_channel": {
            "type": "list",
            "influence_conversation": False,
            "mappings": [{"type": "custom"}],
        },
        "contact_point": dict(text_slot),
        "contact_kind": dict(text_slot),
        # set when the register could not be reached: the form ends without a ticket
        "register_error": {
            "type": "bool",
            "influence_conversation": False,
            "mappings": [{"type": "custom"}],
        },
    }
    return {
        "version": "3.1",
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": False},
        "intents": intents,
        "entities": [
            "email",
            "phone_number",
            "customer_number",
            "otp_code",
            "marketing_channel",
            "field",
        ],
        "slots": slots,
        "forms": {
            "opt_out_form": {"required_slots": ["marketing_channel", "contact_point"]},
            # the validation action narrows this list to what the request kind needs
            "rights_form": {
                "required_slots": [
                    "identifier",
                    "otp_code",
                    "correction_field",
                    "correction_value",
                    "request_details",
                ]
            },
        },
        "responses": responses,
        "actions": [
            "action_start_request",
            "action_submit_opt_out",
            "action_submit_rights_request",
            "action_reset_request",
            "action_human_handoff",
            "validate_opt_out_form",
            "validate_rights_form",
        ],
    }


FORMS = ["rights_form", "opt_out_form"]
INTERRUPTIONS = {
    **{i: f"utter_{i}" for i in POLICY},
    "help": "utter_help",
    "bot_challenge": "utter_iamabot",
    "human_handoff": "utter_human_handoff",
    "out_of_scope": "utter_out_of_scope",
}


def build_rules() -> dict:
    rules = []
    add = rules.append
    for intent in POLICY:
        answer = [{"intent": intent}, {"action": f"utter_{intent}"}]
        add({"rule": f"answer {intent}", "steps": answer})
        if POLICY[intent][1]:
            add(
                {
                    "rule": f"more on {intent}",
                    "steps": [
                        {"action": f"utter_{intent}"},
                        {"intent": "affirm"},
                        {"action": f"utter_{intent}_more"},
                    ],
                }
            )
            add(
                {
                    "rule": f"no more on {intent}",
                    "steps": [
                        {"action": f"utter_{intent}"},
                        {"intent": "deny"},
                        {"action": "utter_anything_else"},
                    ],
                }
            )
    simple = {
        "greet": "utter_greet",
        "goodbye": "utter_goodbye",
        "thank": "utter_thank",
        "bot_challenge": "utter_iamabot",
        "help": "utter_help",
        "out_of_scope": "utter_out_of_scope",
        "cancel": "utter_nothing_to_cancel",
        "inform": "utter_inform_no_context",
        "affirm": "utter_affirm_no_context",
        "deny": "utter_anything_else",
    }
    for intent, action in simple.items():
        add({"rule": f"{intent} outside a form", "steps": [{"intent": intent}, {"action": action}]})
    add(
        {
            "rule": "human handoff",
            "steps": [{"intent": "human_handoff"}, {"action": "action_human_handoff"}],
        }
    )
    add(
        {
            "rule": "ask to rephrase when the NLU is unsure",
            "steps": [{"intent": "nlu_fallback"}, {"action": "utter_please_rephrase"}],
        }
    )
    # opt-out form
    add(
        {
            "rule": "start opt-out",
            "steps": [
                {"intent": "request_opt_out"},
                {"action": "action_reset_request"},
                {"action": "opt_out_form"},
                {"active_loop": "opt_out_form"},
            ],
        }
    )
    add(
        {
            # the first message gave everything ("stopp sms til 975 27 747"): the form ends
            # at once, so the submit rule (which needs an active form) cannot apply
            "rule": "opt-out complete at once",
            "steps": [
                {"intent": "request_opt_out"},
                {"action": "action_reset_request"},
                {"action": "opt_out_form"},
                {"active_loop": None},
                {"slot_was_set": [{"requested_slot": None}]},
                {"action": "action_submit_opt_out"},
                {"action": "action_reset_request"},
            ],
        }
    )
    add(
        {
            "rule": "submit opt-out",
            "condition": [{"active_loop": "opt_out_form"}],
            "steps": [
                {"action": "opt_out_form"},
                {"active_loop": None},
                {"slot_was_set": [{"requested_slot": None}]},
                {"action": "action_submit_opt_out"},
                {"action": "action_reset_request"},
            ],
        }
    )
    for intent in REQUESTS:
        add(
            {
                "rule": f"start {intent}",
                "steps": [
                    {"intent": intent},
                    {"action": "action_start_request"},
                    {"action": "rights_form"},
                    {"active_loop": "rights_form"},
                ],
            }
        )
        add(
            {
                # verified by the channel (SMS/Telegram) and nothing more to ask
                "rule": f"{intent} complete at once",
                "steps": [
                    {"intent": intent},
                    {"action": "action_start_request"},
                    {"action": "rights_form"},
                    {"active_loop": None},
                    {"slot_was_set": [{"requested_slot": None}]},
                    {"action": "action_submit_rights_request"},
                    {"action": "action_reset_request"},
                ],
            }
        )
    add(
        {
            "rule": "submit rights request",
            "condition": [{"active_loop": "rights_form"}],
            "steps": [
                {"action": "rights_form"},
                {"active_loop": None},
                {"slot_was_set": [{"requested_slot": None}]},
                {"action": "action_submit_rights_request"},
                {"action": "action_reset_request"},
            ],
        }
    )
    for form in FORMS:
        add(
            {
                "rule": f"cancel {form}",
                "condition": [{"active_loop": form}],
                "steps": [
                    {"intent": "cancel"},
                    {"action": "action_deactivate_loop"},
                    {"active_loop": None},
                    {"action": "action_reset_request"},
                    {"action": "utter_cancelled"},
                ],
            }
        )
        for intent, action in INTERRUPTIONS.items():
            if intent == "human_handoff":
                action = "action_human_handoff"
            add(
                {
                    "rule": f"{intent} inside {form}",
                    "condition": [{"active_loop": form}],
                    "steps": [
                        {"intent": intent},
                        {"action": action},
                        {"action": form},
                        {"active_loop": form},
                    ],
                }
            )
    return {"version": "3.1", "rules": rules}


def dump(path: Path, data: dict, header: str) -> str:
    text = header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return text


def outputs() -> dict[Path, str]:
    header = "# Generated by scripts/gen_dialogue.py: edit that file, then run it.\n"
    return {
        ROOT / "domain.yml": dump(ROOT / "domain.yml", build_domain(), header),
        ROOT / "data" / "rules.yml": dump(ROOT / "data" / "rules.yml", build_rules(), header),
    }


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for path, text in outputs().items():
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("Out of date (run python scripts/gen_dialogue.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
