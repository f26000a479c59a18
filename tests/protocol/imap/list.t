# RFC 3501 §6.3.8 LIST and §6.3.9 LSUB examples; RFC 5258 LIST-EXTENDED,
# RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS, modified UTF-7 names
# (RFC 3501 §5.1.3).
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# §6.3.8: an empty pattern returns the delimiter and root.
C: A101 LIST "" ""
S: * LIST (\Noselect) "/" ""
S: A101 OK LIST completed
C: A102 LIST work/mail ""
S: * LIST (\Noselect) "/" work/
S: A102 OK LIST completed
C: a1 CREATE work/mail/old
S: a1 OK CREATE completed
C: a2 CREATE work/misc
S: a2 OK CREATE completed
# "%" stops at the separator, "*" does not.
C: A103 LIST work %
S: * LIST (\HasChildren) "/" work
S: A103 OK LIST completed
C: A104 LIST work/ %
S: * LIST (\HasChildren) "/" work/mail
S: * LIST (\HasNoChildren) "/" work/misc
S: A104 OK LIST completed
C: A105 LIST "" work/*
S: * LIST (\HasChildren) "/" work/mail
S: * LIST (\HasNoChildren) "/" work/mail/old
S: * LIST (\HasNoChildren) "/" work/misc
S: A105 OK LIST completed
# INBOX is case-insensitive (§5.1).
C: A106 LIST "" inbox
S: * LIST (\HasNoChildren) "/" INBOX
S: A106 OK LIST completed
# §6.3.9 LSUB: an unsubscribed level above a subscribed name shows as
# \Noselect with "%".
C: a3 SUBSCRIBE work/mail/old
S: a3 OK SUBSCRIBE completed
C: A107 LSUB "" work/%
S: * LSUB (\Noselect) "/" work/mail
S: A107 OK LSUB completed
C: A108 LSUB "" work/*
S: * LSUB () "/" work/mail/old
S: A108 OK LSUB completed
C: a4 UNSUBSCRIBE work/mail/old
S: a4 OK UNSUBSCRIBE completed
C: A109 LSUB "" work/*
S: A109 OK LSUB completed
# RFC 5258 §3.1: SUBSCRIBED selects subscriptions, existing or not.
C: a5 SUBSCRIBE gone/away
S: a5 OK SUBSCRIBE completed
C: A110 LIST (SUBSCRIBED) "" *
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasNoChildren \Subscribed \Archive) "/" Archive
S: * LIST (\HasNoChildren \Subscribed \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Subscribed \Junk) "/" Junk
S: * LIST (\HasNoChildren \Subscribed \Sent) "/" Sent
S: * LIST (\HasNoChildren \Subscribed \Trash) "/" Trash
S: * LIST (\NonExistent \Subscribed) "/" gone/away
S: A110 OK LIST completed
# RFC 5258 §3.5: RECURSIVEMATCH returns parents of matches with CHILDINFO.
C: a6 SUBSCRIBE work/misc
S: a6 OK SUBSCRIBE completed
C: A111 LIST (SUBSCRIBED RECURSIVEMATCH) "" work
S: * LIST (\HasChildren) "/" work ("CHILDINFO" ("SUBSCRIBED"))
S: A111 OK LIST completed
C: A112 LIST (RECURSIVEMATCH) "" *
S: A112 BAD LIST: RECURSIVEMATCH must be used with another selection option
C: A113 LIST (BOGUS) "" *
S: A113 BAD LIST: unknown LIST selection option BOGUS
# Multiple patterns and return options (RFC 5258 §3, §3.2).
C: A114 LIST "" (INBOX Sent work) RETURN (SUBSCRIBED CHILDREN)
S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
S: * LIST (\HasNoChildren \Subscribed \Sent) "/" Sent
S: * LIST (\HasChildren) "/" work
S: A114 OK LIST completed
# RFC 6154 §5.1 and §5.2
C: A115 LIST (SPECIAL-USE) "" *
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: A115 OK LIST completed
C: A116 CREATE MySent (USE (\Sent))
S: A116 OK CREATE completed
C: A117 CREATE Everything (USE (\All))
S: A117 NO [USEATTR] Unsupported special-use attribute \All
C: A118 LIST "" MySent RETURN (SPECIAL-USE)
S: * LIST (\HasNoChildren \Sent) "/" MySent
S: A118 OK LIST completed
# RFC 5819 §5 LIST-STATUS
C: a7 APPEND work/misc {7+}
C: Hello!
S: a7 OK [APPENDUID ${uv} 1] APPEND completed
C: A119 LIST "" work/% RETURN (STATUS (MESSAGES UNSEEN))
S: * LIST (\HasChildren) "/" work/mail
S: * STATUS work/mail (MESSAGES 0 UNSEEN 0)
S: * LIST (\HasNoChildren) "/" work/misc
S: * STATUS work/misc (MESSAGES 1 UNSEEN 1)
S: A119 OK LIST completed
# RFC 5819 §5, second example: "work" is listed only because a child is
# subscribed (CHILDINFO); it does not match the selection criteria, so
# it gets no STATUS. The subscribed child does.
C: A119b LIST (SUBSCRIBED RECURSIVEMATCH) "" work* RETURN (STATUS (MESSAGES))
S: * LIST (\HasChildren) "/" work ("CHILDINFO" ("SUBSCRIBED"))
S: * LIST (\HasNoChildren \Subscribed) "/" work/misc
S: * STATUS work/misc (MESSAGES 1)
S: A119b OK LIST completed
# RFC 3501 §5.1.3 example: modified UTF-7 names round-trip.
C: a8 CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-
S: a8 OK CREATE completed
C: A120 LIST "" ~peter/mail/*
S: * LIST (\HasChildren) "/" ~peter/mail/&U,BTFw-
S: * LIST (\HasNoChildren) "/" ~peter/mail/&U,BTFw-/&ZeVnLIqe-
S: A120 OK LIST completed
# "&Jjo!" is the RFC's example of a name that is not valid modified
# UTF-7. It is a valid astring, so no syntax error (BAD is "a protocol-
# level error in the client's command", RFC 3501 §7.1.3): no mailbox can
# have the name, so NO [CANNOT] to create it, NO [NONEXISTENT] to use it,
# and a LIST pattern of it matches nothing (§6.3.8: "The returned mailbox
# names MUST match the supplied mailbox name pattern").
C: a9 CREATE &Jjo!
S: a9 NO [CANNOT] Mailbox name is not valid modified UTF-7 (RFC 3501 §5.1.3)
C: a10 CREATE "&-amp &AGE-"
S: a10 NO [CANNOT] Mailbox name is not valid modified UTF-7 (RFC 3501 §5.1.3)
C: a10a SELECT "!#$&'+,-.0123456789:;<=>?@^_`|[}"
S: a10a NO [NONEXISTENT] Mailbox name is not valid modified UTF-7 (RFC 3501 §5.1.3)
C: a10b STATUS &Jjo! (MESSAGES)
S: a10b NO [NONEXISTENT] Mailbox name is not valid modified UTF-7 (RFC 3501 §5.1.3)
C: a10c RENAME INBOX &Jjo!
S: a10c NO [CANNOT] Mailbox name is not valid modified UTF-7 (RFC 3501 §5.1.3)
C: a10d LIST "" "!#$&'+,-.0123456789:;<=>?@^_`|[}%*"
S: a10d OK LIST completed
C: a10e LIST "" &Jjo!*
S: a10e OK LIST completed
C: a10f SELECT &Jjo! extra
S: a10f BAD SELECT: expected '('
# RFC 3501 §6.3.1: "if a mailbox is selected and a SELECT command that
# fails is attempted, no mailbox is selected", whatever made it fail.
C: a10g EXAMINE INBOX
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY ${uvi}] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hmsi}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: a10g OK [READ-ONLY] EXAMINE completed
C: a10h SELECT &Jjo!
S: * OK [CLOSED] Previous mailbox closed
S: a10h NO [NONEXISTENT] Mailbox name is not valid modified UTF-7 (RFC 3501 §5.1.3)
C: a10i CLOSE
S: a10i BAD CLOSE is not allowed in this state
C: a11 CREATE "Q&-A"
S: a11 OK CREATE completed
C: A121 LIST "" Q*
S: * LIST (\HasNoChildren) "/" Q&-A
S: A121 OK LIST completed
