#!/bin/sh
# A worked example of the desk's timers and CSAT on a scratch desk (README "Automation and CSAT").
#   sh examples/automation.sh            (uses ./automation-example.sqlite3; removes it first)
set -e
export DESKTERM_DATABASE_URL="sqlite:///$PWD/automation-example.sqlite3"
rm -f automation-example.sqlite3*
deskterm init > /dev/null
deskterm group add "Level 2" > /dev/null

# An SLA policy whose escalation starts 60 business minutes before the first response is
# due: a new urgent ticket (due in 30 minutes) is escalated at the very next pass.
cat > automation-example-sla.toml <<'TOML'
[[policy]]
name = "Urgent"
priority = "urgent"
first_response = "30m"
resolution = "4h"
[policy.escalation]
within_minutes = 60
tier = 2
group = "Level 2"
note = "Escalated: the urgent first response is due within the hour."
TOML
deskterm sla load automation-example-sla.toml

deskterm ticket create --requester carol@acme.example --subject "Site down" \
    --body "Nothing loads since 9:00." --priority urgent
deskterm automate run            # escalated 1 (#1001): tier 2, group Level 2, a note by sla:Urgent
deskterm automate run            # nothing: each target of a ticket is escalated once

deskterm ticket reply 1001 --body "Fixed: the proxy was restarted." --status solved
# With the desk's mail on (deskterm mail settings --from ...), carol now has the solution and
# the rating question in her outbox mail. Her answer, logged here as if it came by phone:
deskterm ticket customer-reply 1001 --body "Rating: 5 - thanks, quick!"
deskterm csat show 1001          # rated 5/5 ... : thanks, quick!   (the ticket is still solved)
deskterm ticket show 1001 | head -8

deskterm automate settings --close-after 4 --remind-after 3   # the defaults, said out loud
deskterm automate status
rm -f automation-example.sqlite3* automation-example-sla.toml
