# RFC 7888 LITERAL-: non-synchronizing literals only up to 4096 octets.
!option imap.literal=minus
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL- ID ENABLE] Lemonade ready
C: a1 LOGIN demo secret
S: a1 OK [CAPABILITY IMAP4rev1 LITERAL- ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES] Logged in
C: a2 APPEND INBOX {12+}
C: Subject: a
C: 
S: a2 OK [APPENDUID ${uv} 1] APPEND completed
!raw 1 b"a3 APPEND INBOX {4097+}\r\n" + b"x" * 4097 + b"\r\n"
S: a3 BAD [TOOBIG] Non-synchronizing literal over 4096 octets
# The same size as a synchronizing literal is fine.
C: a4 APPEND INBOX {4097}
S: + Ready for literal data
!raw 1 b"x" * 4097 + b"\r\n"
S: a4 OK [APPENDUID ${uv} 2] APPEND completed
