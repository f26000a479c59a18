# Limits and bad input (DESIGN.md §5): each gets a clear answer and the
# connection goes on where the protocol allows; RFC 7888 §4 and RFC 4469
# [TOOBIG], RFC 5530 [LIMIT].
!option limits.max_line_length=1KB
!option limits.max_literal_size=100
!option limits.max_command_size=2000
!option limits.max_nesting_depth=1
!option limits.max_mailbox_name_length=20
!option limits.max_mailbox_depth=3
!option limits.max_mailboxes=8
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: garbage
S: garbage BAD Missing or invalid tag or command
C: a1 FROBNICATE
S: a1 BAD Unknown command FROBNICATE
C: a2 NOOP extra
S: a2 BAD NOOP: extra arguments
!raw 1 b"\x00\xff\xfe binary noise\r\n"
S: * BAD Missing or invalid tag or command
C: a1 LOGIN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx y
S: a1 BAD [TOOBIG] Command line too long
C: a3 LOGIN demo secret
S: a3 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# A synchronizing literal over the limit is refused instead of "+".
C: a4 APPEND INBOX {101}
S: a4 NO [TOOBIG] Literal too big
# A non-synchronizing one arrives anyway: it is read, dropped, refused.
!raw 1 b"a5 APPEND INBOX {101+}\r\n" + b"x" * 101 + b"\r\n"
S: a5 NO [TOOBIG] Literal too big
C: a6 APPEND INBOX {12+}
C: Subject: a
C: 
S: a6 OK [APPENDUID ${uv} 1] APPEND completed
C: a7 CREATE x (USE (\Drafts))
S: a7 BAD [LIMIT] CREATE: too deeply nested
C: a8 CREATE abcdefghijklmnopqrstuvwxyz
S: a8 NO [LIMIT] Mailbox name too long
C: a9 CREATE a/b/c/d
S: a9 NO [LIMIT] Mailbox name has too many levels
C: a10 CREATE one
S: a10 OK CREATE completed
C: a11 CREATE two
S: a11 OK CREATE completed
C: a12 CREATE three
S: a12 NO [LIMIT] Too many mailboxes
C: a13 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 1)
S: a13 OK STATUS completed
# A client that drops mid-literal leaves the server and the store intact.
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b1 LOGIN demo secret
S2: b1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
!raw 2 b"b2 APPEND INBOX {50+}\r\nSubject: half"
!close 2
C: a14 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 1)
S: a14 OK STATUS completed
# RFC 7888 §4: a non-synchronizing literal over the limit that is bigger
# than a command line is not read only to be dropped (4 GB would be read
# in silence): "Send an untagged BYE response explaining the reason for
# rejecting the literal ... and close the connection". The tagged BAD
# [TOOBIG] comes first so the client knows which command failed.
!raw 1 b"a15 APPEND INBOX {4000000000+}\r\nSubject: the start of a huge message\r\n"
S: a15 BAD [TOOBIG] Literal too big
S: * BYE Closing: the rest of the command cannot be read
!closed 1
!connect 3
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: c1 LOGIN demo secret
S3: c1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C3: c2 STATUS INBOX (MESSAGES)
S3: * STATUS INBOX (MESSAGES 1)
S3: c2 OK STATUS completed
