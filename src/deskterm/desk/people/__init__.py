"""People: agents, groups, customers and organizations (:mod:`.directory`), who is running
deskterm (:mod:`.identity`, no store needed), who acts (:mod:`.auth`) and what an agent may do
(:mod:`.permissions`)."""
