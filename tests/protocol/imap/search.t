# RFC 3501 §6.4.4 SEARCH and §6.4.8 UID SEARCH: every search key, AND/OR/NOT
# and parenthesised lists, CHARSET, decoded and case-insensitive text from the
# full-text index; the first three commands are the RFC's own examples.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX (\Flagged) "15-Jan-1994 10:00:00 +0000" {174+}
C: From: John Smith <smith@example.com>
C: To: team@example.com
C: Subject: budget
C: Date: Sat, 15 Jan 1994 09:00:00 +0000
C: Message-ID: <1@example.com>
C: 
C: The budget for next year.
C: 
S: a1 OK [APPENDUID ${uv} 1] APPEND completed
C: a2 APPEND INBOX (\Flagged) "10-Feb-1994 12:00:00 -0800" {187+}
C: From: Mary Jones <jones@example.com>
C: To: team@example.com
C: Cc: boss@example.com
C: Subject: =?iso-8859-1?q?R=E9sum=E9?= attached
C: Date: Thu, 10 Feb 1994 12:00:00 -0800
C: 
C: Please find it.
C: 
S: a2 OK [APPENDUID ${uv} 2] APPEND completed
C: a3 APPEND INBOX (\Seen $Forwarded) "01-Mar-1994 00:30:00 +0100" {186+}
C: From: smith@example.org
C: Subject: lunch
C: Date: 28 Feb 94 23:30 PST
C: Content-Type: text/plain; charset=iso-8859-1
C: Content-Transfer-Encoding: quoted-printable
C: 
C: Gr=FC=DFe aus M=FCnchen
C: 
S: a3 OK [APPENDUID ${uv} 3] APPEND completed
C: a4 APPEND INBOX (\Answered) " 2-Mar-1994 08:00:00 +0000" {326+}
C: From: Bob <bob@example.net>
C: Subject: report
C: Content-Type: multipart/mixed; boundary=b
C: 
C: --b
C: Content-Type: text/plain; charset=utf-8
C: Content-Transfer-Encoding: base64
C: 
C: VGhlIHF1YXJ0ZXJseSByZXBvcnQgaXMgZG9uZS4=
C: --b
C: Content-Type: application/pdf
C: Content-Transfer-Encoding: base64
C: 
C: JVBERi0xLjQKc2VjcmV0d29yZA==
C: --b--
C: 
S: a4 OK [APPENDUID ${uv} 4] APPEND completed
C: b0 SELECT INBOX
S: * 4 EXISTS
S: * 4 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 5] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms1}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S: b0 OK [READ-WRITE] SELECT completed
C: A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"
S: * SEARCH 2
S: A282 OK SEARCH completed
C: A283 SEARCH TEXT "string not in mailbox"
S: * SEARCH
S: A283 OK SEARCH completed
C: b1 SEARCH ALL
S: * SEARCH 1 2 3 4
S: b1 OK SEARCH completed
C: b2 SEARCH FROM smith
S: * SEARCH 1 3
S: b2 OK SEARCH completed
C: b3 SEARCH FROM SMITH@EXAMPLE.ORG
S: * SEARCH 3
S: b3 OK SEARCH completed
C: b4 SEARCH SUBJECT {8+}
C: résumé
S: * SEARCH 2
S: b4 OK SEARCH completed
C: b5 SEARCH BODY "quarterly REPORT"
S: * SEARCH 4
S: b5 OK SEARCH completed
C: b6 SEARCH BODY secretword
S: * SEARCH
S: b6 OK SEARCH completed
C: b7 SEARCH TEXT budget
S: * SEARCH 1
S: b7 OK SEARCH completed
C: b8 SEARCH TEXT "example.net"
S: * SEARCH 4
S: b8 OK SEARCH completed
C: b9 SEARCH CC boss
S: * SEARCH 2
S: b9 OK SEARCH completed
C: b10 SEARCH BCC boss
S: * SEARCH
S: b10 OK SEARCH completed
C: b11 SEARCH TO team
S: * SEARCH 1 2
S: b11 OK SEARCH completed
C: b12 SEARCH HEADER Message-ID "<1@"
S: * SEARCH 1
S: b12 OK SEARCH completed
C: b13 SEARCH HEADER message-id ""
S: * SEARCH 1
S: b13 OK SEARCH completed
C: b14 SEARCH HEADER X-Nothing ""
S: * SEARCH
S: b14 OK SEARCH completed
C: b15 SEARCH KEYWORD $Forwarded
S: * SEARCH 3
S: b15 OK SEARCH completed
C: b16 SEARCH UNKEYWORD $forwarded
S: * SEARCH 1 2 4
S: b16 OK SEARCH completed
C: b17 SEARCH SEEN
S: * SEARCH 3
S: b17 OK SEARCH completed
C: b18 SEARCH UNSEEN
S: * SEARCH 1 2 4
S: b18 OK SEARCH completed
C: b19 SEARCH ANSWERED
S: * SEARCH 4
S: b19 OK SEARCH completed
C: b20 SEARCH UNANSWERED FLAGGED
S: * SEARCH 1 2
S: b20 OK SEARCH completed
C: b21 SEARCH UNFLAGGED
S: * SEARCH 3 4
S: b21 OK SEARCH completed
C: b22 SEARCH DELETED
S: * SEARCH
S: b22 OK SEARCH completed
C: b23 SEARCH UNDELETED DRAFT
S: * SEARCH
S: b23 OK SEARCH completed
C: b24 SEARCH UNDRAFT
S: * SEARCH 1 2 3 4
S: b24 OK SEARCH completed
C: b25 SEARCH RECENT
S: * SEARCH 1 2 3 4
S: b25 OK SEARCH completed
C: b26 SEARCH NEW
S: * SEARCH 1 2 4
S: b26 OK SEARCH completed
C: b27 SEARCH OLD
S: * SEARCH
S: b27 OK SEARCH completed
C: b28 SEARCH BEFORE 10-Feb-1994
S: * SEARCH 1
S: b28 OK SEARCH completed
C: b29 SEARCH ON 10-Feb-1994
S: * SEARCH 2
S: b29 OK SEARCH completed
C: b30 SEARCH SINCE "1-Mar-1994"
S: * SEARCH 3 4
S: b30 OK SEARCH completed
C: b31 SEARCH SENTBEFORE 10-Feb-1994
S: * SEARCH 1
S: b31 OK SEARCH completed
C: b32 SEARCH SENTON 28-Feb-1994
S: * SEARCH 3
S: b32 OK SEARCH completed
C: b33 SEARCH SENTSINCE 1-Mar-1994
S: * SEARCH 4
S: b33 OK SEARCH completed
C: b34 SEARCH LARGER 200
S: * SEARCH 4
S: b34 OK SEARCH completed
C: b35 SEARCH SMALLER 200
S: * SEARCH 1 2 3
S: b35 OK SEARCH completed
C: b36 SEARCH 2:3
S: * SEARCH 2 3
S: b36 OK SEARCH completed
C: b37 SEARCH 3:*
S: * SEARCH 3 4
S: b37 OK SEARCH completed
C: b38 SEARCH *
S: * SEARCH 4
S: b38 OK SEARCH completed
C: b39 SEARCH UID 2,4
S: * SEARCH 2 4
S: b39 OK SEARCH completed
C: b40 UID SEARCH UID 3:*
S: * SEARCH 3 4
S: b40 OK UID SEARCH completed
C: b41 SEARCH OR FROM smith SUBJECT report
S: * SEARCH 1 3 4
S: b41 OK SEARCH completed
C: b42 SEARCH OR (FROM smith FLAGGED) (SEEN SUBJECT lunch)
S: * SEARCH 1 3
S: b42 OK SEARCH completed
C: b43 SEARCH NOT (OR SEEN FLAGGED)
S: * SEARCH 4
S: b43 OK SEARCH completed
C: b44 SEARCH NOT NOT SEEN
S: * SEARCH 3
S: b44 OK SEARCH completed
C: b45 SEARCH ((((FROM bob))))
S: * SEARCH 4
S: b45 OK SEARCH completed
C: b46 SEARCH CHARSET US-ASCII FROM jones
S: * SEARCH 2
S: b46 OK SEARCH completed
C: b47 SEARCH CHARSET FOO FROM jones
S: b47 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset FOO
C: b48 SEARCH FROMX jones
S: b48 BAD SEARCH: unknown search key FROMX
C: b49 SEARCH SINCE 31-Feb-1994
S: b49 BAD SEARCH: invalid date 31-FEB-1994
C: b50 SEARCH
S: b50 BAD SEARCH: expected a space
C: b51 SEARCH OR FLAGGED
S: b51 BAD SEARCH: expected a space
C: b52 SEARCH (FLAGGED
S: b52 BAD SEARCH: expected ')'
C: b53 SEARCH LARGER x
S: b53 BAD SEARCH: expected a number
C: b54 UID SEARCH 1:2
S: * SEARCH 1 2
S: b54 OK UID SEARCH completed
C: b55 SEARCH BODY {8+}
C: MÜNCHEN
S: * SEARCH 3
S: b55 OK SEARCH completed
C: b56 SEARCH CHARSET UTF-8 BODY {7+}
C: GRÜßE
S: * SEARCH 3
S: b56 OK SEARCH completed
C: b57 SEARCH BODY {4+}
C: grü
S: * SEARCH 3
S: b57 OK SEARCH completed
C: b58 SEARCH SUBJECT ""
S: * SEARCH 1 2 3 4
S: b58 OK SEARCH completed
# RFC 3501 §7.4.1: no EXPUNGE while SEARCH runs; it comes with the next
# command that allows it (NOOP). Meanwhile SEARCH numbers are those of the
# view, and the expunged message 1 no longer matches anything.
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: c0 LOGIN demo secret
S2: c0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: c1 SELECT INBOX
S2: * 4 EXISTS
S2: * 0 RECENT
S2: * OK [UNSEEN 1] Message 1 is first unseen
S2: * OK [UIDVALIDITY ${uv}] UIDs valid
S2: * OK [UIDNEXT 5] Predicted next UID
S2: * OK [HIGHESTMODSEQ ${hms2}] Highest
S2: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S2: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S2: c1 OK [READ-WRITE] SELECT completed
C2: c2 STORE 1 +FLAGS.SILENT (\Deleted)
S2: c2 OK STORE completed
C2: c3 EXPUNGE
S2: * 1 EXPUNGE
S2: c3 OK EXPUNGE completed
!sleep 0.2
C: b60 SEARCH FROM smith
S: * SEARCH 3
S: * 1 FETCH (FLAGS (\Flagged \Deleted \Recent) UID 1)
S: b60 OK SEARCH completed
C: b61 NOOP
S: * 1 EXPUNGE
S: * 3 RECENT
S: b61 OK NOOP completed
C: b62 SEARCH FROM smith
S: * SEARCH 2
S: b62 OK SEARCH completed
# RFC 5182: nothing saved yet, so "$" is empty (esearch.t has the rest).
C: b63 SEARCH $
S: * SEARCH
S: b63 OK SEARCH completed
# RFC 5322 §3.4 allows comments and folding white space inside an
# address. RFC 3501 §6.4.4: "FROM <string> Messages that contain the
# specified string in the envelope structure's FROM field." The envelope
# of this From is (NIL NIL "user" "domain.org"): comments and CFWS are
# gone, so FROM finds user@domain.org and not the comment; HEADER FROM
# ("the text of the header (what comes after the colon)") still does.
C: b64 APPEND INBOX {67+}
C: From: <user (comment)@ (comment) domain.org>
C: Subject: cfws
C: 
C: hi
C: 
S: * 4 EXISTS
S: * 4 RECENT
S: b64 OK [APPENDUID ${uv} 5] APPEND completed
C: b65 UID SEARCH FROM user@domain.org
S: * SEARCH 5
S: b65 OK UID SEARCH completed
C: b66 UID SEARCH FROM comment
S: * SEARCH
S: b66 OK UID SEARCH completed
C: b67 UID SEARCH HEADER FROM "(comment) domain.org"
S: * SEARCH 5
S: b67 OK UID SEARCH completed
C: b68 UID SEARCH FROM "mary jones <jones@"
S: * SEARCH 2
S: b68 OK UID SEARCH completed
C: b69 UID SEARCH CC BOSS@EXAMPLE
S: * SEARCH 2
S: b69 OK UID SEARCH completed
C: b59 LOGOUT
S: * BYE Lemonade logging out
S: b59 OK LOGOUT completed

