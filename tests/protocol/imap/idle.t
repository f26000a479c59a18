# RFC 2177 IDLE: changes by another session reach the idling one at once;
# "* OK Still here" keeps NAT bindings open (DESIGN.md §3).
!option imap.idle_keepalive=1
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a1 LOGIN demo secret
S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE] Logged in
C: a2 SELECT INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a2 OK [READ-WRITE] SELECT completed
C: a3 IDLE
S: + idling
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b1 LOGIN demo secret
S2: b1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE] Logged in
C2: b2 APPEND INBOX {12+}
C2: Subject: a
C2: 
S2: b2 OK [APPENDUID ${uv} 1] APPEND completed
S: * 1 EXISTS
S: * 1 RECENT
S: * OK Still here
C: DONE
S: a3 OK IDLE terminated
C: a4 IDLE
S: + idling
C: NOT-DONE
S: a4 BAD Expected DONE to end IDLE
C: a5 NOOP
S: a5 OK NOOP completed
