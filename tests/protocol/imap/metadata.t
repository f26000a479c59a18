# RFC 5464 METADATA: the RFC's examples (options before the mailbox, as
# the ABNF and errata 2785/2786 have them), server and mailbox entries,
# MAXSIZE and LONGENTRIES (§4.2.1), DEPTH (§4.2.2), NIL removes (§4.3),
# all or nothing with TOOMANY and MAXSIZE (§4.3), invalid entry names BAD
# (§3.2), entries follow RENAME, go with DELETE and stay on INBOX when it
# is renamed (§4.1), /private/specialuse read and set (RFC 6154 §4).
!option imap.metadata_max_entries=10
!option imap.metadata_max_value=1KB
!option imap.metadata_admin="mailto:admin@example.org"
!option imap.metadata_comment="Shared comment"
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# §4.2 examples. The server's /shared entries come from the configuration.
C: a GETMETADATA "" /shared/comment
S: * METADATA "" (/shared/comment "Shared comment")
S: a OK GETMETADATA completed
C: a1 GETMETADATA "" (/shared/admin /shared/comment /private/nothing)
S: * METADATA "" (/private/nothing NIL /shared/admin "mailto:admin@example.org" /shared/comment "Shared comment")
S: a1 OK GETMETADATA completed
C: a2 SETMETADATA "" (/shared/comment "mine")
S: a2 NO [NOPERM] The server's /shared entries are set by its administrator
C: a3 SETMETADATA "" (/private/vendor/lemonade/theme "dark")
S: a3 OK SETMETADATA completed
C: a4 GETMETADATA (DEPTH infinity) "" /private
S: * METADATA "" (/private/vendor/lemonade/theme "dark")
S: a4 OK GETMETADATA completed
# §4.3 examples (the literal holds the final CRLF: 35 octets, not the
# example's 33).
C: b1 SETMETADATA INBOX (/private/comment {35}
S: + Ready for literal data
C: My new comment across
C: two lines.
C: )
S: b1 OK SETMETADATA completed
C: b2 GETMETADATA "INBOX" /private/comment
S: * METADATA INBOX (/private/comment {35}My new comment across\r\ntwo lines.\r\n)
S: b2 OK GETMETADATA completed
C: b3 SETMETADATA INBOX (/private/comment NIL)
S: b3 OK SETMETADATA completed
C: b4 SETMETADATA INBOX (/private/comment "My new comment" /shared/comment "This one is for you!")
S: b4 OK SETMETADATA completed
C: b5 GETMETADATA "INBOX" (/shared/comment /private/comment)
S: * METADATA INBOX (/private/comment "My new comment" /shared/comment "This one is for you!")
S: b5 OK GETMETADATA completed
# Entry names are case-insensitive (§3.2): answered lower-case.
C: b6 GETMETADATA INBOX /PRIVATE/Comment
S: * METADATA INBOX (/private/comment "My new comment")
S: b6 OK GETMETADATA completed
# §4.2.1: MAXSIZE leaves out longer values and says how long the longest was.
C: c1 GETMETADATA (MAXSIZE 15) INBOX (/shared/comment /private/comment)
S: * METADATA INBOX (/private/comment "My new comment")
S: c1 OK [METADATA LONGENTRIES 20] GETMETADATA completed
# §4.2.2: "depth 1" for "/a" matches "/a/b" but not "/a/b/c".
C: c2 SETMETADATA INBOX (/private/filters/values/small "SMALLER 5000" /private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/boss/x "deeper")
S: c2 OK SETMETADATA completed
C: c3 GETMETADATA (DEPTH 1) INBOX (/private/filters/values)
S: * METADATA INBOX (/private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/small "SMALLER 5000")
S: c3 OK GETMETADATA completed
C: c4 GETMETADATA (DEPTH infinity) INBOX /private/filters
S: * METADATA INBOX (/private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/boss/x "deeper" /private/filters/values/small "SMALLER 5000")
S: c4 OK GETMETADATA completed
C: c5 GETMETADATA (DEPTH 2) INBOX /private/filters
S: c5 BAD GETMETADATA: DEPTH is 0, 1 or infinity
# §4.3: "When any one annotation fails to be set ... the server MUST NOT
# change the values for other annotations": INBOX holds 6 entries, the
# limit is 10 here.
C: d1 SETMETADATA INBOX (/private/e0 "v" /private/e1 "v" /private/e2 "v" /private/e3 "v" /private/e4 "v" /private/e5 "v" /private/e6 "v" /private/e7 "v" /private/e8 "v" /private/e9 "v" /private/e10 "v")
S: d1 NO [METADATA TOOMANY] Too many metadata entries
C: d2 GETMETADATA INBOX /private/e0
S: * METADATA INBOX (/private/e0 NIL)
S: d2 OK GETMETADATA completed
!raw 1 b"d3 SETMETADATA INBOX (/private/small \"ok\" /private/big {1025+}\r\n" + b"x" * 1025 + b")\r\n"
S: d3 NO [METADATA MAXSIZE 1024] Metadata value too large
C: d4 GETMETADATA INBOX /private/small
S: * METADATA INBOX (/private/small NIL)
S: d4 OK GETMETADATA completed
# §3.2: invalid entry names are BAD.
C: e1 GETMETADATA INBOX /private//x
S: e1 BAD GETMETADATA: entry name has //
C: e2 SETMETADATA INBOX (/private/x/ "v")
S: e2 BAD SETMETADATA: entry name ends with /
C: e3 GETMETADATA INBOX "/private/a*"
S: e3 BAD GETMETADATA: invalid character in entry name
C: e4 GETMETADATA INBOX /other/x
S: e4 BAD GETMETADATA: entry name must start with /private or /shared
C: e5 SETMETADATA INBOX (/private "v")
S: e5 BAD SETMETADATA: entry name needs a component after the scope
C: e6 SETMETADATA INBOX (/shared/vendor/x "v")
S: e6 BAD SETMETADATA: vendor entry names have at least 4 components
C: e7 GETMETADATA Nosuch /private/comment
S: e7 NO [NONEXISTENT] Mailbox does not exist
# RFC 6154 §4: /private/specialuse is the special-use attribute.
C: f1 GETMETADATA Drafts /private/specialuse
S: * METADATA Drafts (/private/specialuse "\\Drafts")
S: f1 OK GETMETADATA completed
# Setting it sets the attribute, checked as CREATE (USE) checks it
# ("It MUST NOT just blindly accept setting of these metadata").
C: f2 SETMETADATA Drafts (/private/specialuse "\\archive \\Drafts")
S: f2 OK SETMETADATA completed
C: f3 GETMETADATA Drafts /private/specialuse
S: * METADATA Drafts (/private/specialuse "\\Archive \\Drafts")
S: f3 OK GETMETADATA completed
C: f4 LIST "" Drafts RETURN (SPECIAL-USE)
S: * LIST (\HasNoChildren \Archive \Drafts) "/" Drafts
S: f4 OK LIST completed
C: f5 SETMETADATA Drafts (/private/specialuse "\\Bogus" /private/comment "not set either")
S: f5 NO [USEATTR] Unsupported special-use attribute \Bogus
C: f6 SETMETADATA Drafts (/private/specialuse NIL)
S: f6 OK SETMETADATA completed
C: f7 GETMETADATA Drafts (/private/specialuse /private/comment)
S: * METADATA Drafts (/private/comment NIL /private/specialuse NIL)
S: f7 OK GETMETADATA completed
C: f8 SETMETADATA Drafts (/private/specialuse "\\Drafts")
S: f8 OK SETMETADATA completed
# §4.1: annotations follow RENAME, go with DELETE; INBOX keeps its own
# when renamed, and the new mailbox gets a copy.
C: g1 CREATE Work
S: g1 OK CREATE completed
C: g2 SETMETADATA Work (/shared/comment "work stuff")
S: g2 OK SETMETADATA completed
C: g3 RENAME Work Job
S: g3 OK RENAME completed
C: g4 GETMETADATA Job /shared/comment
S: * METADATA Job (/shared/comment "work stuff")
S: g4 OK GETMETADATA completed
C: g5 DELETE Job
S: g5 OK DELETE completed
C: g6 CREATE Job
S: g6 OK CREATE completed
C: g7 GETMETADATA Job /shared/comment
S: * METADATA Job (/shared/comment NIL)
S: g7 OK GETMETADATA completed
C: g8 RENAME INBOX Old
S: g8 OK RENAME completed
C: g9 GETMETADATA Old /private/comment
S: * METADATA Old (/private/comment "My new comment")
S: g9 OK GETMETADATA completed
C: g10 GETMETADATA INBOX /private/comment
S: * METADATA INBOX (/private/comment "My new comment")
S: g10 OK GETMETADATA completed
# RFC 5465 §5.6 MailboxMetadataChange and §5.7 ServerMetadataChange
# ("REQUIRED" with METADATA): another session's SETMETADATA gives an
# unsolicited METADATA response with the names only (RFC 5464 §4.4.2),
# removed entries included; not the session's own change (§5: "SHOULD
# omit"), not a mailbox no group names. They come while the client is
# silent (RFC 5465 §3), with no command of its own.
C: h1 NOTIFY SET (mailboxes (INBOX Drafts) (MailboxMetadataChange)) (personal (ServerMetadataChange))
S: h1 OK NOTIFY completed
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: i0 LOGIN demo secret
S2: i0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: i1 SETMETADATA INBOX (/private/comment NIL /shared/note "x")
S2: i1 OK SETMETADATA completed
S: * METADATA INBOX /private/comment /shared/note
C2: i2 SETMETADATA Old (/shared/comment "not watched")
S2: i2 OK SETMETADATA completed
C2: i3 SETMETADATA "" (/private/vendor/lemonade/theme NIL)
S2: i3 OK SETMETADATA completed
S: * METADATA "" /private/vendor/lemonade/theme
C: h4 SETMETADATA INBOX (/shared/note "mine")
S: h4 OK SETMETADATA completed
C: h5 NOOP
S: h5 OK NOOP completed
# RFC 5465 §6: "multiple <event-group>s can apply to the same mailbox":
# SubscriptionChange for INBOX comes from the second group.
C: h6 NOTIFY SET (mailboxes INBOX (MessageNew MessageExpunge)) (personal (SubscriptionChange))
S: h6 OK NOTIFY completed
C2: i4 UNSUBSCRIBE INBOX
S2: i4 OK UNSUBSCRIBE completed
S: * LIST () "/" INBOX
