"""Confirmation and CSAT: the mail a solved ticket sends its requester (the solution, that a
reply reopens it, a 1-5 rating question), a reply that is a rating, phone feedback, and the
ratings shown on the ticket and in the requester's history."""
