"""What the privacy policy says about purposes, legal basis, recipients and retention,
quoted word for word (bot/policy/personvernerklaering.txt), for access extracts.

Quoted, not paraphrased: an extract must not promise more or less than the policy does.
tests/register checks that every quote is still in the policy text.
"""

from __future__ import annotations

from typing import Dict, List, Union

CONTROLLER = [
    "KL Miljøvarme",
    "Kjell Langsrud",
    "Langstranda 571",
    "NO-1970 Hemnes",
    "Tlf.: +47 63 85 88 70",
    "Mobil: +47 975 27 747",
    "e-post: biokjell@miljovarme.no",
]

DATA_CATEGORIES = [
    "De personopplysningene som vi håndterer er de opplysningene som du som kunde har oppgitt "
    "til oss i adresse, telefonnummer, e-post og kontaktperson.",
]

PURPOSES = [
    "For å håndtere tilbud, bestillinger, kjøp og retur/reklamasjon",
    "For å håndtere leveranse av bestilte produkter",
    "For å håndtere fakturering, returer/reklamasjoner og administrasjon",
    "For å markedsføre våre produkter via kampanjer og tilbud. Kommunikasjonskanalene er "
    "brevpost, e-post og sms. Personopplysninger kan også brukes til utsendelse av informasjon "
    "om aktiviteter.",
    "For å kunne følge opp kunder, gjøre kundeanalyser og ta ut statistikk",
    "For å kunne administrere kunde innlogginger til vår nettside etter behov.",
    "For annen kommunikasjon via vår kundesupport, f.eks. å besvare spørsmål og hjelpe kunden",
]

LEGAL_BASIS = [
    "KL Miljøvarme håndterer personopplysningene med støtte av rettslig grunn når vi håndterer "
    "ordre, leverer bestilte produkter, kontakt via kundesupport, kundeinnlogging til nettsiden "
    "og analyser.",
    "Rettslige krav for håndtering av fakturering.",
    "Med støtte av berettiget interesse håndterer vi personopplysninger gjennom direkte "
    "markedsføring av produkter vi tror kan være av Deres interesse.",
    "Med støtte av berettiget interesse gjennomfører vi kundeundersøkelser for å utvikle og "
    "forbedre våre produkter og tjenester.",
]

RECIPIENTS = [
    "KL Miljøvarme kan ikke levere ut dine personopplysninger til leverandører som behandler "
    "IT-tjenester, distribusjon – og spedisjonstjenester, kommunikasjonstjenester etc.",
    "Når det gjelder, deler vi personlig informasjon med mottakere som handler uavhengig i "
    "forhold til tjenestene vi tilbyr, for eksempel myndigheter (eks. politi, "
    "skattemyndigheter), redningstjenester og domstoler.",
]

RETENTION = [
    "Personopplysningene registreres i vårt kunderegister og spares så lenge du er kunde hos oss.",
    "I visse tilfeller kan opplysningene spares lengre på grunn av lovgivning som vi må oppfylle.",
    "Kunde søknader oppbevares i 3 måneder.",
]

RIGHTS = [
    "Rett til å vite hvilken informasjon vi har å gjøre med om deg",
    "Rett til å få data korrigert eller slettet",
    "Rett til å protestere mot behandling som er basert på legitim interesse",
    "Du har rett til å motsette seg behandling av dine personopplysninger eller for å begrense "
    "behandlingen.",
    "Rett til dataportabilitet",
    "Avslutt elektronisk direkte markedsføring",
]

# Not in the policy, but GDPR Art. 15(1)(f) requires an extract to say it.
SUPERVISORY_AUTHORITY = "Datatilsynet (www.datatilsynet.no)"

QUOTED = [CONTROLLER, DATA_CATEGORIES, PURPOSES, LEGAL_BASIS, RECIPIENTS, RETENTION, RIGHTS]


def policy_facts() -> Dict[str, Union[str, List[str]]]:
    return {
        "source": "bot/policy/personvernerklaering.txt (sitert ordrett)",
        "controller": list(CONTROLLER),
        "data_categories": list(DATA_CATEGORIES),
        "purposes": list(PURPOSES),
        "legal_basis": list(LEGAL_BASIS),
        "recipients": list(RECIPIENTS),
        "retention": list(RETENTION),
        "rights": list(RIGHTS),
        "complaint_to": SUPERVISORY_AUTHORITY,
    }
