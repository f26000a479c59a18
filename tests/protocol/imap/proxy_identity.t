# Proxy identities (issue 16; draft-maes-lemonade-xencrypted-02 §2.2, RFC
# 5550 §8.5 deployments): an operator's proxy logs in as "alice+phone" with
# a password of its own and works in alice's mailboxes, but what would let
# a compromised proxy destroy her mail or send it out (EXPUNGE, CLOSE of a
# read-write mailbox, MOVE, setting \Deleted, DELETE/RENAME, GENURLAUTH/
# URLFETCH/RESETKEY, SETMETADATA of /shared) is refused with NO [NOPERM]
# (RFC 5530 §3) unless the identity's grant allows it.
!user alice secret
!proxy alice phone relay-pw clear-content
!proxy alice ops ops-pw expunge,mailbox-delete
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a1 LOGIN alice+phone relay-pw
S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# Reading and relaying are the proxy's job: APPEND (in the clear with the
# clear-content allowance, docs/xencrypted.md), flags, COPY, CREATE.
C: a2 APPEND INBOX (\Seen) {5+}
C: hello
S: a2 OK [APPENDUID ${uv} 1] APPEND completed
C: a3 APPEND INBOX (\Deleted) {5+}
C: hello
S: a3 NO [NOPERM] APPEND is not allowed to this proxy identity (it needs the deleted-flag allowance)
C: a4 SELECT INBOX
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: * OK [HIGHESTMODSEQ 2] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a4 OK [READ-WRITE] SELECT completed
C: a5 STORE 1 +FLAGS (\Flagged)
S: * 1 FETCH (FLAGS (\Flagged \Seen \Recent))
S: a5 OK STORE completed
C: a6 STORE 1 +FLAGS (\Deleted)
S: a6 NO [NOPERM] STORE is not allowed to this proxy identity (it needs the deleted-flag allowance)
C: a7 STORE 1 FLAGS.SILENT (\Seen \deleted)
S: a7 NO [NOPERM] STORE is not allowed to this proxy identity (it needs the deleted-flag allowance)
# Taking \Deleted away destroys nothing.
C: a8 STORE 1 -FLAGS.SILENT (\Deleted)
S: a8 OK STORE completed
C: a9 EXPUNGE
S: a9 NO [NOPERM] EXPUNGE is not allowed to this proxy identity (it needs the expunge allowance)
C: b1 UID EXPUNGE 1
S: b1 NO [NOPERM] UID EXPUNGE is not allowed to this proxy identity (it needs the expunge allowance)
# RFC 6851 §3.1: MOVE expunges its source; COPY does not.
C: b2 MOVE 1 Trash
S: b2 NO [NOPERM] MOVE is not allowed to this proxy identity (it needs the expunge allowance)
C: b3 UID MOVE 1 Trash
S: b3 NO [NOPERM] UID MOVE is not allowed to this proxy identity (it needs the expunge allowance)
C: b4 COPY 1 Trash
S: b4 OK [COPYUID ${tv} 1 1] COPY completed
# draft -02 §2.2: no minting of URLs to BURL a message out.
C: b5 GENURLAUTH "imap://alice@localhost/INBOX/;uid=1;urlauth=anonymous" INTERNAL
S: b5 NO [NOPERM] GENURLAUTH is not allowed to this proxy identity (it needs the urlauth allowance)
C: b6 RESETKEY
S: b6 NO [NOPERM] RESETKEY is not allowed to this proxy identity (it needs the urlauth allowance)
C: b7 URLFETCH "imap://alice@localhost/INBOX/;uid=1;urlauth=anonymous:internal:0123456789abcdef0123456789abcdef"
S: b7 NO [NOPERM] URLFETCH is not allowed to this proxy identity (it needs the urlauth allowance)
C: b8 CREATE foo
S: b8 OK CREATE completed
C: b9 RENAME foo bar
S: b9 NO [NOPERM] RENAME is not allowed to this proxy identity (it needs the mailbox-delete allowance)
C: c1 DELETE foo
S: c1 NO [NOPERM] DELETE is not allowed to this proxy identity (it needs the mailbox-delete allowance)
C: c2 SETMETADATA INBOX (/shared/comment "x")
S: c2 NO [NOPERM] SETMETADATA is not allowed to this proxy identity (it needs the shared-metadata allowance)
C: c3 SETMETADATA INBOX (/private/comment "x")
S: c3 OK SETMETADATA completed
# RFC 3501 §6.4.2: CLOSE of a read-write mailbox expunges; UNSELECT and
# CLOSE of a read-only one do not.
C: c4 CLOSE
S: c4 NO [NOPERM] CLOSE is not allowed to this proxy identity (it needs the expunge allowance)
C: c5 UNSELECT
S: c5 OK UNSELECT completed
C: c6 EXAMINE INBOX
S: * 1 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: * OK [HIGHESTMODSEQ 3] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: c6 OK [READ-ONLY] EXAMINE completed
C: c7 CLOSE
S: c7 OK CLOSE completed
C: c8 LOGOUT
S: * BYE Lemonade logging out
S: c8 OK LOGOUT completed
!closed 1
# An identity granted expunge and mailbox-delete (and not deleted-flag).
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: d1 LOGIN alice+ops ops-pw
S2: d1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: d2 DELETE foo
S2: d2 OK DELETE completed
C2: d3 SELECT Trash
S2: * 1 EXISTS
S2: * 1 RECENT
S2: * OK [UIDVALIDITY ${tv}] UIDs valid
S2: * OK [UIDNEXT 2] Predicted next UID
S2: * OK [HIGHESTMODSEQ 2] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S2: d3 OK [READ-WRITE] SELECT completed
C2: d4 STORE 1 +FLAGS.SILENT (\Deleted)
S2: d4 NO [NOPERM] STORE is not allowed to this proxy identity (it needs the deleted-flag allowance)
C2: d5 MOVE 1 INBOX
S2: * OK [COPYUID ${uv} 1 2] Moved
S2: * 1 EXPUNGE
S2: * 0 RECENT
S2: d5 OK MOVE completed
C2: d6 LOGOUT
S2: * BYE Lemonade logging out
S2: d6 OK LOGOUT completed
!closed 2
# Each identity has its own password, and neither is alice's; an unknown
# label is an unknown login. SASL PLAIN ("\0alice+phone\0relay-pw") too.
!connect 3
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: e1 LOGIN alice+nobody relay-pw
S3: e1 NO [AUTHENTICATIONFAILED] Authentication failed
C3: e2 LOGIN alice+phone secret
S3: e2 NO [AUTHENTICATIONFAILED] Authentication failed
C3: e3 LOGIN alice relay-pw
S3: e3 NO [AUTHENTICATIONFAILED] Authentication failed
C3: e4 AUTHENTICATE PLAIN AGFsaWNlK3Bob25lAHJlbGF5LXB3
S3: e4 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C3: e5 SELECT INBOX
S3: * 2 EXISTS
S3: * 1 RECENT
S3: * OK [UIDVALIDITY ${uv}] UIDs valid
S3: * OK [UIDNEXT 3] Predicted next UID
S3: * OK [HIGHESTMODSEQ 4] Highest
S3: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S3: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S3: e5 OK [READ-WRITE] SELECT completed
C3: e6 EXPUNGE
S3: e6 NO [NOPERM] EXPUNGE is not allowed to this proxy identity (it needs the expunge allowance)
