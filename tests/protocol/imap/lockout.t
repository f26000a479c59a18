# Failed logins are delayed (doubling) and, after auth.max_failures from one
# address, refused for auth.lockout without checking the password (DESIGN.md §8).
!option auth.max_failures=2
!option auth.failure_delay=10ms
!option auth.lockout=300
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a1 LOGIN demo wrong
S: a1 NO [AUTHENTICATIONFAILED] Authentication failed
C: a2 LOGIN demo wrong
S: a2 NO [AUTHENTICATIONFAILED] Authentication failed
C: a3 LOGIN demo secret
S: a3 NO [UNAVAILABLE] Too many failed logins from your address; try again later
C: a4 AUTHENTICATE PLAIN AGRlbW8Ac2VjcmV0
S: a4 NO [UNAVAILABLE] Too many failed logins from your address; try again later
