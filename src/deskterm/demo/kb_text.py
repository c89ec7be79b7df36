"""The demo knowledge base's and macros' words: articles about what the demo's tickets are about.

English articles answer the English tickets' issues (:data:`deskterm.demo.text.ENGLISH`),
one per issue, each written for every brand of its topic, so a ticket's words (``charged twice``,
``VPN``, ``locked``) find them; the other six languages get a shorter article per topic, in their
own script. ``{p}`` is the product (a brand name, written the same in every language).

Links point at the desk's own company's hosts under the reserved ``.example`` domain.
"""

from __future__ import annotations

from dataclasses import dataclass

HELP = "https://help.lumen-systems.example"
STATUS = "https://status.lumen-systems.example"


@dataclass(frozen=True)
class Guide:
    """An English article: what the customer sees, what to do, and optionally a command."""

    title: str
    summary: str
    symptoms: tuple[str, ...]
    steps: tuple[str, ...]
    code: str = ""
    internal: bool = False
    """A runbook for the team (internal), or a how-to a customer may read (public)."""


GUIDES: dict[str, tuple[Guide, ...]] = {
    "billing": (
        Guide("Refund a double charge for {p}",
              "When a card is charged twice for {p}, the second payment is a duplicate of the "
              "same order and is refunded in full.",
              ("Two identical payments for {p} on one card statement",
               "The same order number on both charges"),
              ("Look the order number up in the billing console and compare the payment ids.",
               "If both payments captured, refund the duplicate payment (not the first one).",
               "Tell the customer the refund takes 5-10 business days to show on the card."),
              "billing refund --order ORDER --payment PAYMENT --reason duplicate",
              internal=True),
        Guide("Correct the number of seats on a {p} invoice",
              "An invoice lists the seats of the contract at the time of the invoice run. When "
              "users were removed later, the invoice shows the wrong amount.",
              ("The invoice shows more seats or licences than users",
               "The accounts team refuses to pay the invoice"),
              ("Check the seat count in the admin portal under **Subscription > Seats**.",
               "Remove inactive users before the next invoice run.",
               "Ask Billing for a corrected invoice, quoting the invoice number."),
              ),
        Guide("Cancel {p} and get a refund of the last charge",
              "A cancelled subscription of {p} is billed once more when the cancellation "
              "was made after the renewal date.",
              ("Billed again after cancelling {p}", "The cancellation confirmation e-mail is "
               "missing"),
              ("Open **Billing > Subscriptions** and check that {p} shows *Cancelled*.",
               "If it still shows *Active*, cancel it again and keep the confirmation.",
               "Reply to your ticket with the date of the cancellation: charges after that date "
               "are refunded."),
              ),
        Guide("Get a VAT invoice for {p}",
              "Invoices carry the VAT number and company address stored on the billing "
              "account. Invoices made before these were set show only the buyer's name.",
              ("The invoice has no VAT number", "Finance needs the company address on it"),
              ("Enter the VAT number and company address under **Billing > Company details**.",
               "Download the invoice again from the portal: it is re-issued with the VAT number.",
               "For an order older than 12 months, ask Billing for a corrected VAT invoice."),
              ),
        Guide("Payment declined when renewing {p}",
              "Renewals are charged in EUR from Ireland; some banks decline such payments "
              "although the card works elsewhere.",
              ("'payment declined' when renewing {p}", "The subscription runs out soon"),
              ("Ask your bank to allow international payments in EUR.",
               "Or add a second card under **Billing > Payment methods** and retry.",
               "If the subscription has already lapsed, nothing is deleted for 30 days."),
              ),
        Guide("Price changes for {p}: which contracts they apply to",
              "A price increase of {p} applies to new contracts at once and to existing "
              "contracts from their next renewal.",
              ("E-mail about a price increase of {p}",),
              ("Look up the contract's renewal date in the billing console.",
               "Quote the old price until then; annual contracts keep it for the whole year.",
               "Escalate discount requests to the account manager."),
              internal=True),
    ),
    "network": (
        Guide("{p} disconnects every few minutes",
              "After a client update, {p} may drop the connection every few minutes because "
              "the old profile is still cached.",
              ("{p} keeps dropping since the update", "Reconnecting works for a few minutes"),
              ("Quit {p} completely.", "Delete the cached profile (see the command below).",
               "Start {p} again and sign in: a fresh profile is downloaded."),
              "lumen-connect --quit\nlumen-connect --reset-profile"),
        Guide("Floor outage: no internet on a whole floor",
              "When every desk on a floor loses the network while the guest network works, the "
              "floor's access switch is usually down. {p} users on that floor are affected too.",
              ("Whole floor offline", "Guest network still works"),
              ("Check the status page for a known outage.",
               "Ping the floor switch from the jump host.",
               "If it does not answer, open an urgent ticket for the network team with the "
               "floor number."),
              "ping -c 3 sw-floor-FLOOR.lumen-systems.example",
              internal=True),
        Guide("File server times out over {p}",
              "Over {p}, file shares are reached through the internal DNS name; a client that "
              "uses a public DNS server cannot find them.",
              ("Cannot reach the file server over {p}", "File shares time out"),
              ("Connect to {p}.", "Check which DNS server is in use (command below).",
               "If it is not 10.0.0.53, reconnect or restart {p}."),
              "nslookup files.lumen-systems.example"),
        Guide("Slow Wi-Fi in meeting rooms",
              "Video calls freeze when too many devices share one access point. Wired docking "
              "in the meeting room and {p} on 5 GHz help.",
              ("Very slow Wi-Fi in a meeting room", "Video calls freeze"),
              ("Connect to the 5 GHz network *Lumen-5G* instead of *Lumen*.",
               "Use the wired dock on the meeting-room table.",
               "Report the room number if it stays slow: we measure the access point."),
              ),
        Guide("DNS errors on the intranet over {p}",
              "'server not found' for the intranet while public websites load means that the "
              "intranet's name is not resolved through {p}.",
              ("Intranet not found over {p}", "DNS errors since this morning"),
              ("Flush the DNS cache (command below).", "Reconnect {p}.",
               "If it persists, check the status page."),
              "ipconfig /flushdns   # Windows\nsudo dscacheutil -flushcache   # macOS"),
        Guide("{p} asks for the password again and again",
              "After a password change, {p} keeps the old password in the keychain and asks "
              "again every few minutes.",
              ("{p} asks for my password again and again", "Started after a password change"),
              ("Open the keychain (Credential Manager on Windows).",
               "Delete the saved entries for {p}.",
               "Connect again and type the new password once."),
              ),
    ),
    "accounts": (
        Guide("Unlock a locked {p} account",
              "Five wrong passwords lock a {p} account for 30 minutes. Agents can unlock it at "
              "once after checking who is asking.",
              ("Locked out of {p}", "Account locked after mistyped passwords"),
              ("Verify the caller: employee number and manager's name.",
               "Unlock the account in the directory (command below).",
               "Ask the user to sign in within 10 minutes."),
              "directory unlock --user USERNAME --app APP",
              internal=True),
        Guide("Request access to {p} for a new hire",
              "Access to {p} needs the manager's approval; once approved it is set up within "
              "one business day.",
              ("New hire needs access to {p}", "Access request waiting"),
              ("The manager files an access request for {p} in the HR portal.",
               "Quote the request number in the ticket.",
               "The new colleague gets a welcome e-mail with the first sign-in link."),
              ),
        Guide("Two-factor codes for {p} not arriving after a phone change",
              "Two-factor codes are tied to the old phone. After a phone change the "
              "authenticator app must be set up again for {p}.",
              ("2FA codes not arriving", "Changed phones"),
              ("Sign in on the web with a backup code.",
               "Open **Security > Two-factor** and remove the old phone.",
               "Scan the new QR code with the authenticator app on the new phone."),
              ),
        Guide("Fix permissions in {p} after a team change",
              "Permissions in {p} follow the team in the directory; after a move they update "
              "in the next sync, or at once when an agent triggers it.",
              ("Cannot see the new team's projects in {p}", "Still sees old projects"),
              ("Check the user's team in the directory.",
               "Trigger a sync of {p} groups (command below).",
               "Ask the user to sign out and in again."),
              "directory sync --app APP --user USERNAME",
              internal=True),
        Guide("Password reset link for {p} has expired",
              "Reset links are valid for 15 minutes and for one click; mail scanners that open "
              "links can use them up.",
              ("Password reset link expired", "Password reset does not work"),
              ("Request a new link from the {p} sign-in page.",
               "Copy the link into a private browser window instead of clicking it.",
               "Still expired? Reply to your ticket and we reset the password for you."),
              ),
        Guide("Remove a leaver's access to {p}",
              "When a colleague leaves, access to {p} is removed on the last day and mail is "
              "forwarded to the manager for 90 days.",
              ("A colleague left the company", "Access must be removed"),
              ("Disable the account in the directory.",
               "Remove the {p} licence and transfer the files to the manager.",
               "Set the mail forward and note the employee number in the ticket."),
              "directory disable --user USERNAME --forward MANAGER --days 90",
              internal=True),
    ),
    "hardware": (
        Guide("{p} does not turn on",
              "A laptop whose charging light is on but whose screen stays black usually needs a "
              "hard reset.",
              ("{p} does not turn on", "Black screen, charging light on"),
              ("Unplug the charger and every cable.",
               "Hold the power button for 30 seconds.",
               "Plug the charger in and press the power button once.",
               "Still black? Ask for a loaner at the service desk."),
              ),
        Guide("Printer prints blank pages",
              "Blank pages after a toner change mean that the toner's seal was left in. It "
              "happens with {p} users' print jobs as with any other.",
              ("Printer prints blank pages", "Toner is new"),
              ("Open the front cover and take out the toner cartridge.",
               "Pull off the orange seal tape.",
               "Print a test page from the printer's menu."),
              ),
        Guide("Battery of {p} drains in an hour",
              "Batteries under two years old are replaced under warranty when their capacity is "
              "below 60 %.",
              ("Battery drains in an hour", "Worn-out battery"),
              ("Run the battery report (command below) and attach it to the ticket.",
               "Quote the asset tag.",
               "We order the replacement battery under warranty."),
              "powercfg /batteryreport /output battery.html"),
        Guide("Repair a cracked screen on {p}",
              "A cracked display is repaired by the vendor in about five days; you get a loaner "
              "meanwhile.",
              ("Broken screen", "Cracked display"),
              ("Back up your files.", "Bring {p} and its asset tag to the service desk.",
               "Take a loaner and sign the repair form."),
              ),
        Guide("Second monitor stays black with the docking station and {p}",
              "The dock's firmware must match the laptop's; after a laptop update the second "
              "monitor may stay black until the dock is updated.",
              ("Second monitor stays black", "Docking station does not detect the monitor"),
              ("Update the dock's firmware (command below).",
               "Unplug the dock's power for 10 seconds.",
               "Set the display mode to *Extend* in the display settings."),
              "dock-update --check && dock-update --install"),
        Guide("{p} overheats and shuts down",
              "A laptop that switches itself off during video calls is overheating; dust in the "
              "fan is the usual cause.",
              ("{p} overheats", "Loud fan, shuts down during calls"),
              ("Keep the air vents free (no soft surfaces).",
               "Check for updates of the BIOS and the fan driver.",
               "Book a cleaning at the service desk; bring the asset tag."),
              internal=True),
    ),
}
"""Per topic, one English article per issue a customer writes about (same order)."""

GUIDE_TAGS: dict[str, tuple[tuple[str, ...], ...]] = {
    "billing": (("refund", "payment"), ("invoice",), ("subscription", "refund"), ("invoice", "vat"),
                ("payment", "subscription"), ("subscription",)),
    "network": (("vpn", "remote-work"), ("outage", "network"), ("vpn", "dns"), ("wifi",),
                ("dns", "vpn"), ("vpn", "password")),
    "accounts": (("login", "password"), ("access-request", "onboarding"), ("2fa",),
                 ("access-request", "sso"), ("password",), ("offboarding",)),
    "hardware": (("laptop",), ("printer",), ("battery", "warranty"), ("screen", "replacement"),
                 ("laptop", "screen"), ("laptop", "replacement")),
}
"""The tags of each guide of :data:`GUIDES`, in the same order (names from the demo's tags)."""

ENGLISH_KINDS = ("How-to", "Runbooks")
"""English subcategories: public how-tos, internal runbooks."""


@dataclass(frozen=True)
class Foreign:
    """The articles of one other language: its category name and one article per topic."""

    code: str
    category: str
    articles: dict[str, tuple[str, str]]
    """Per topic, (title, Markdown body), written for each of the topic's brands (``{p}``)."""
    general: tuple[tuple[str, str, str], ...] = ()
    """(topic, title, body) of articles about no brand: a floor's outage, a printer."""


FOREIGN = (
    Foreign("de", "Deutsch", {
        "billing": (
            "Doppelte Abbuchung für {p} erstatten",
            "Wurde {p} zweimal abgebucht, erstatten wir die doppelte Zahlung vollständig.\n\n"
            "## Schritte\n\n1. Bestellnummer aus der Rechnung heraussuchen.\n"
            "2. Im Portal unter **Abrechnung > Zahlungen** beide Zahlungen vergleichen.\n"
            "3. Die Erstattung dauert 5–10 Werktage.\n\n"
            f"Mehr dazu: [Abrechnung]({HELP}/de/abrechnung)"),
        "network": (
            "{p} trennt die Verbindung alle paar Minuten",
            "Seit dem Update trennt {p} die Verbindung? Meist ist das alte Profil schuld.\n\n"
            "## Schritte\n\n1. {p} beenden.\n2. Den Profil-Cache löschen:\n\n"
            "```shell\nlumen-connect --reset-profile\n```\n\n3. Neu anmelden.\n\n"
            f"Störungen: [Statusseite]({STATUS})"),
        "accounts": (
            "Gesperrtes Konto in {p} entsperren",
            "Nach fünf falschen Passwörtern wird das Konto in {p} für 30 Minuten gesperrt.\n\n"
            "## Schritte\n\n1. 30 Minuten warten oder den Service Desk anrufen.\n"
            "2. Das Passwort über die Anmeldeseite zurücksetzen.\n"
            "3. Gespeicherte Passwörter auf dem Handy aktualisieren."),
        "hardware": (
            "{p} startet nicht",
            "Ladeanzeige an, Bildschirm schwarz? Dann hilft meist ein Hard-Reset.\n\n"
            "## Schritte\n\n1. Netzteil und alle Kabel abziehen.\n"
            "2. Den Einschaltknopf 30 Sekunden gedrückt halten.\n"
            "3. Netzteil anschließen und einschalten.\n\n"
            "Ein Leihgerät gibt es am Service Desk."),
    }, general=(
        ("network", "Kein Internet im ganzen Stock",
         "Hat ein ganzer Stock kein Internet, während das Gastnetz funktioniert, ist "
         "meist der Switch des Stockwerks ausgefallen.\n\n## Schritte\n\n1. Auf der "
         "Statusseite nach einer bekannten Netzwerkstörung sehen.\n2. Stockwerk und "
         "Anzahl der betroffenen Plätze im Ticket nennen.\n3. Bis dahin das Gastnetz "
         f"nutzen.\n\n[Statusseite]({STATUS})"),
        ("hardware", "Drucker druckt nur leere Seiten",
         "Leere Seiten nach einem Tonerwechsel: Meist steckt noch das Schutzband im Toner."
         "\n\n## Schritte\n\n1. Vordere Klappe öffnen und den Toner herausnehmen.\n2. Das "
         "orange Schutzband abziehen.\n3. Eine Testseite drucken."),
    )),
    Foreign("pl", "Polski", {
        "billing": (
            "Zwrot podwójnej płatności za {p}",
            "Jeśli za {p} pobrano opłatę dwa razy, zwracamy podwójną płatność w całości.\n\n"
            "## Kroki\n\n1. Znajdź numer zamówienia na fakturze.\n"
            "2. Porównaj obie płatności w portalu (**Rozliczenia > Płatności**).\n"
            "3. Zwrot trwa 5–10 dni roboczych.\n\n"
            f"Zobacz też: [Rozliczenia]({HELP}/pl/rozliczenia)"),
        "network": (
            "{p} rozłącza się co kilka minut",
            "Po aktualizacji {p} zrywa połączenie? Zwykle winny jest stary profil.\n\n"
            "## Kroki\n\n1. Zamknij {p}.\n2. Wyczyść pamięć profilu:\n\n"
            "```shell\nlumen-connect --reset-profile\n```\n\n3. Zaloguj się ponownie.\n\n"
            f"Awarie: [strona statusu]({STATUS})"),
        "accounts": (
            "Odblokowanie konta w {p}",
            "Po pięciu błędnych hasłach konto w {p} jest zablokowane na 30 minut.\n\n"
            "## Kroki\n\n1. Odczekaj 30 minut lub zadzwoń do działu wsparcia.\n"
            "2. Zresetuj hasło na stronie logowania.\n"
            "3. Zaktualizuj zapisane hasło w telefonie."),
        "hardware": (
            "{p} nie włącza się",
            "Dioda ładowania świeci, a ekran jest czarny? Pomaga twardy reset.\n\n"
            "## Kroki\n\n1. Odłącz zasilacz i wszystkie kable.\n"
            "2. Przytrzymaj przycisk zasilania przez 30 sekund.\n"
            "3. Podłącz zasilacz i włącz komputer.\n\n"
            "Sprzęt zastępczy wydaje dział wsparcia."),
    }, general=(
        ("network", "Brak internetu na całym piętrze",
         "Gdy całe piętro nie ma internetu, a sieć dla gości działa, zwykle zawiódł "
         "przełącznik na piętrze.\n\n## Kroki\n\n1. Sprawdź stronę statusu (awaria sieci)."
         "\n2. Podaj w zgłoszeniu numer piętra i liczbę stanowisk.\n3. Do tego czasu "
         f"korzystaj z sieci dla gości.\n\n[Strona statusu]({STATUS})"),
        ("hardware", "Drukarka drukuje puste strony",
         "Puste strony po wymianie tonera oznaczają zwykle, że nie zdjęto taśmy ochronnej."
         "\n\n## Kroki\n\n1. Otwórz przednią pokrywę i wyjmij toner.\n2. Zdejmij "
         "pomarańczową taśmę.\n3. Wydrukuj stronę testową."),
    )),
    Foreign("ru", "Русский", {
        "billing": (
            "Возврат двойного списания за {p}",
            "Если за {p} списали деньги дважды, мы полностью возвращаем повторный платёж.\n\n"
            "## Что сделать\n\n1. Найдите номер заказа в счёте.\n"
            "2. Сравните оба платежа в портале (**Оплата > Платежи**).\n"
            "3. Возврат занимает 5–10 рабочих дней.\n\n"
            f"Подробнее: [Оплата]({HELP}/ru/billing)"),
        "network": (
            "{p} отключается каждые несколько минут",
            "После обновления {p} постоянно теряет соединение? Обычно виноват старый профиль."
            "\n\n## Что сделать\n\n1. Закройте {p}.\n2. Сбросьте профиль:\n\n"
            "```shell\nlumen-connect --reset-profile\n```\n\n3. Войдите снова.\n\n"
            f"Сбои: [страница статуса]({STATUS})"),
        "accounts": (
            "Разблокировать учётную запись {p}",
            "После пяти неверных паролей учётная запись {p} блокируется на 30 минут.\n\n"
            "## Что сделать\n\n1. Подождите 30 минут или позвоните в поддержку.\n"
            "2. Сбросьте пароль на странице входа.\n"
            "3. Обновите сохранённый пароль в телефоне."),
        "hardware": (
            "{p} не включается",
            "Индикатор зарядки горит, а экран чёрный? Поможет аппаратный сброс.\n\n"
            "## Что сделать\n\n1. Отключите зарядку и все кабели.\n"
            "2. Удерживайте кнопку питания 30 секунд.\n"
            "3. Подключите зарядку и включите ноутбук.\n\n"
            "Подменный ноутбук можно получить в службе поддержки."),
    }, general=(
        ("network", "Нет интернета на всём этаже",
         "Если на этаже пропала сеть, а гостевая сеть работает, обычно отказал коммутатор "
         "этажа.\n\n## Что сделать\n\n1. Проверьте страницу статуса.\n2. Укажите в заявке "
         "этаж и число рабочих мест.\n3. Пока используйте гостевую сеть.\n\n[Страница "
         f"статуса]({STATUS})"),
        ("hardware", "Принтер печатает пустые листы",
         "Пустые листы после замены картриджа: обычно не снята защитная лента.\n\n## Что "
         "сделать\n\n1. Откройте переднюю крышку и выньте картридж.\n2. Снимите оранжевую "
         "ленту.\n3. Напечатайте тестовую страницу."),
    )),
    Foreign("he", "עברית", {
        "billing": (
            "החזר על חיוב כפול עבור {p}",
            "אם חויבתם פעמיים עבור {p}, נחזיר את החיוב הכפול במלואו.\n\n"
            "## שלבים\n\n1. מצאו את מספר ההזמנה בחשבונית.\n"
            "2. השוו את שני החיובים בפורטל.\n"
            "3. ההחזר לוקח 5–10 ימי עסקים.\n\n"
            f"עוד מידע: [חיובים]({HELP}/he/billing)"),
        "network": (
            "{p} מתנתק כל כמה דקות",
            "מאז העדכון {p} מתנתק? בדרך כלל הפרופיל הישן אשם.\n\n"
            "## שלבים\n\n1. סגרו את {p}.\n2. אפסו את הפרופיל:\n\n"
            "```shell\nlumen-connect --reset-profile\n```\n\n3. התחברו מחדש.\n\n"
            f"תקלות: [דף סטטוס]({STATUS})"),
        "accounts": (
            "שחרור חשבון נעול ב-{p}",
            "אחרי חמש סיסמאות שגויות החשבון ב-{p} ננעל ל-30 דקות.\n\n"
            "## שלבים\n\n1. המתינו 30 דקות או התקשרו לתמיכה.\n"
            "2. אפסו את הסיסמה בדף הכניסה.\n"
            "3. עדכנו את הסיסמה השמורה בטלפון."),
        "hardware": (
            "{p} לא נדלק",
            "נורית הטעינה דולקת והמסך שחור? איפוס חומרה בדרך כלל עוזר.\n\n"
            "## שלבים\n\n1. נתקו את המטען ואת כל הכבלים.\n"
            "2. החזיקו את כפתור ההפעלה 30 שניות.\n"
            "3. חברו את המטען והדליקו.\n\n"
            "מחשב חלופי אפשר לקבל בדלפק התמיכה."),
    }, general=(
        ("network", "אין אינטרנט בקומה שלמה",
         "כשבקומה שלמה אין אינטרנט ורשת האורחים עובדת, בדרך כלל המתג של הקומה נפל.\n\n## "
         "שלבים\n\n1. בדקו את דף הסטטוס.\n2. ציינו בפנייה את מספר הקומה ואת מספר העמדות.\n"
         f"3. בינתיים השתמשו ברשת האורחים.\n\n[דף סטטוס]({STATUS})"),
        ("hardware", "המדפסת מדפיסה דפים ריקים",
         "דפים ריקים אחרי החלפת טונר: בדרך כלל סרט ההגנה לא הוסר.\n\n## שלבים\n\n1. פתחו "
         "את המכסה הקדמי והוציאו את הטונר.\n2. הסירו את הסרט הכתום.\n3. הדפיסו דף ניסיון."),
    )),
    Foreign("fa", "فارسی", {
        "billing": (
            "بازپرداخت پرداخت تکراری برای {p}",
            "اگر برای {p} دو بار از کارت شما برداشت شده، پرداخت تکراری کامل بازگردانده می‌شود."
            "\n\n## مراحل\n\n1. شماره سفارش را در فاکتور پیدا کنید.\n"
            "2. هر دو پرداخت را در پورتال مقایسه کنید.\n"
            "3. بازپرداخت ۵ تا ۱۰ روز کاری طول می‌کشد.\n\n"
            f"بیشتر: [صورت‌حساب]({HELP}/fa/billing)"),
        "network": (
            "{p} هر چند دقیقه قطع می‌شود",
            "از زمان به‌روزرسانی {p} مدام قطع می‌شود؟ معمولاً پروفایل قدیمی مقصر است.\n\n"
            "## مراحل\n\n1. {p} را ببندید.\n2. پروفایل را بازنشانی کنید:\n\n"
            "```shell\nlumen-connect --reset-profile\n```\n\n3. دوباره وارد شوید.\n\n"
            f"اختلال‌ها: [صفحه وضعیت]({STATUS})"),
        "accounts": (
            "باز کردن حساب قفل‌شده در {p}",
            "پس از پنج رمز عبور اشتباه، حساب {p} به مدت ۳۰ دقیقه قفل می‌شود.\n\n"
            "## مراحل\n\n1. ۳۰ دقیقه صبر کنید یا با پشتیبانی تماس بگیرید.\n"
            "2. رمز عبور را در صفحه ورود بازنشانی کنید.\n"
            "3. رمز ذخیره‌شده در تلفن را به‌روز کنید."),
        "hardware": (
            "{p} روشن نمی‌شود",
            "چراغ شارژ روشن است اما صفحه سیاه می‌ماند؟ معمولاً ریست سخت‌افزاری کمک می‌کند.\n\n"
            "## مراحل\n\n1. شارژر و همه کابل‌ها را جدا کنید.\n"
            "2. دکمه پاور را ۳۰ ثانیه نگه دارید.\n"
            "3. شارژر را وصل کنید و دستگاه را روشن کنید.\n\n"
            "دستگاه جایگزین را از میز پشتیبانی بگیرید."),
    }, general=(
        ("network", "قطعی اینترنت در کل طبقه",
         "وقتی اینترنت کل طبقه قطع است اما شبکه‌ی مهمان کار می‌کند، معمولاً سوییچ طبقه از "
         "کار افتاده.\n\n## مراحل\n\n1. صفحه وضعیت را ببینید.\n2. شماره‌ی طبقه و تعداد "
         "میزها را در درخواست بنویسید.\n3. تا آن زمان از شبکه‌ی مهمان استفاده کنید.\n\n"
         f"[صفحه وضعیت]({STATUS})"),
        ("hardware", "چاپگر برگه‌ی سفید چاپ می‌کند",
         "برگه‌ی سفید پس از تعویض کارتریج: معمولاً نوار محافظ جدا نشده است.\n\n## مراحل\n"
         "\n1. درِ جلو را باز کنید و کارتریج را بیرون بیاورید.\n2. نوار نارنجی را جدا "
         "کنید.\n3. یک صفحه‌ی آزمایشی چاپ کنید."),
    )),
    Foreign("zh", "中文", {
        "billing": (
            "{p} 重复扣款退款",
            "如果 {p} 被重复扣款，我们会全额退还重复的付款。\n\n"
            "## 步骤\n\n1. 在发票上找到订单号。\n2. 在门户中比较两笔付款。\n"
            "3. 退款需要 5–10 个工作日。\n\n"
            f"更多信息：[账单]({HELP}/zh/billing)"),
        "network": (
            "{p} 连接每隔几分钟断开",
            "更新后 {p} 连接断开？通常是旧的配置文件导致的。\n\n"
            "## 步骤\n\n1. 退出 {p}。\n2. 重置配置文件：\n\n"
            "```shell\nlumen-connect --reset-profile\n```\n\n3. 重新登录。\n\n"
            f"故障：[状态页面]({STATUS})"),
        "accounts": (
            "{p} 账户被锁定怎么办",
            "输错五次密码后，{p} 账户会被锁定 30 分钟。\n\n"
            "## 步骤\n\n1. 等待 30 分钟或致电技术支持。\n2. 在登录页面重置密码。\n"
            "3. 更新手机上保存的密码。"),
        "hardware": (
            "{p} 无法开机",
            "充电灯亮着但屏幕是黑的？通常硬重置可以解决。\n\n"
            "## 步骤\n\n1. 拔掉充电器和所有线缆。\n2. 按住电源键 30 秒。\n"
            "3. 接上充电器并开机。\n\n可以在服务台借用备用电脑。"),
    }, general=(
        ("network", "整层楼网络中断，无法上网",
         "如果整层楼无法上网而访客网络正常，通常是该楼层的交换机故障。\n\n"
         "## 步骤\n\n1. 查看状态页面。\n2. 在工单中写明楼层和受影响的工位数量。\n"
         f"3. 在此期间使用访客网络。\n\n[状态页面]({STATUS})"),
        ("hardware", "打印机只打印空白页",
         "更换墨粉后打印空白页：通常是保护封条没有撕掉。\n\n"
         "## 步骤\n\n1. 打开前盖，取出墨粉盒。\n2. 撕掉橙色封条。\n3. 打印一张测试页。"),
    )),
)
"""The six other languages of the demo's customers: one article per topic and brand, and two
about no brand."""

MACROS: tuple[tuple[str, str, dict], ...] = (
    ("Take it", "Hi {{requester.first_name}},\n\nI'm looking into {{ticket.ref}} now and will "
     "get back to you shortly.\n\n{{agent.name}}", {"status": "open", "assignee": "me"}),
    ("Need more information", "Hi {{requester.first_name}},\n\nTo look into \"{{ticket.subject}}"
     "\" we need a bit more: a screenshot of the error and the time it happened.\n\n"
     "{{agent.name}}", {"status": "pending", "add_tags": ["needs-info"]}),
    ("Password reset", "Hi {{requester.first_name}},\n\nI have reset your password; you get a "
     "link by e-mail, valid for 15 minutes. Ticket {{ticket.ref}}.\n\n{{agent.name}}",
     {"status": "pending", "group": "Accounts", "add_tags": ["password"]}),
    ("Account unlocked", "Hi {{requester.first_name}},\n\nYour account is unlocked. Please sign "
     "in within 10 minutes.\n\n{{agent.name}}",
     {"status": "solved", "add_tags": ["login"], "remove_tags": ["needs-info"]}),
    ("Refund issued", "Hi {{requester.first_name}},\n\nWe have refunded the duplicate payment; "
     "it shows on your card within 5-10 business days.\n\n{{agent.name}}",
     {"status": "solved", "group": "Billing", "add_tags": ["refund"]}),
    ("VAT invoice sent", "Hi {{requester.first_name}},\n\nThe corrected VAT invoice is attached "
     "and in the portal under Billing > Invoices.\n\n{{agent.name}}",
     {"status": "solved", "add_tags": ["invoice", "vat"]}),
    ("VPN: reset the profile", "Hi {{requester.first_name}},\n\nPlease quit the VPN client, run "
     "`lumen-connect --reset-profile` and sign in again. Does it stay connected?\n\n"
     "{{agent.name}}", {"status": "pending", "add_tags": ["vpn"]}),
    ("Outage acknowledged", "Hi {{requester.first_name}},\n\nWe know about the outage and are "
     "working on it; updates on the status page.\n\n{{agent.name}}",
     {"status": "on_hold", "priority": "high", "add_tags": ["outage", "known-issue"]}),
    ("Replacement ordered", "Hi {{requester.first_name}},\n\nWe ordered a replacement under "
     "warranty; it should arrive in about five days.\n\n{{agent.name}}",
     {"status": "on_hold", "group": "Hardware", "add_tags": ["replacement", "warranty"]}),
    ("Escalate to Level 2", "Escalating {{ticket.ref}} (\"{{ticket.subject}}\"): first-line "
     "checks done, see the notes.", {"group": "Level 2", "assignee": "none",
                                     "priority": "high"}),
    ("Duplicate ticket", "Hi {{requester.first_name}},\n\nThis is the same request as your other "
     "ticket; we carry on there.\n\n{{agent.name}}",
     {"status": "solved", "add_tags": ["duplicate"]}),
    ("Passwort zurückgesetzt", "Hallo {{requester.name}},\n\nIhr Passwort wurde zurückgesetzt; "
     "der Link per E-Mail gilt 15 Minuten. Ticket {{ticket.ref}}.\n\nViele Grüße\n"
     "{{agent.name}}", {"status": "pending", "add_tags": ["password"]}),
    ("Solved, thanks", "Hi {{requester.first_name}},\n\nGlad it works again. If anything comes "
     "back, just reply to this message.\n\n{{agent.name}}", {"status": "solved"}),
)
"""Name, body template and actions of the demo's macros (:mod:`deskterm.desk.tickets.macros`)."""
