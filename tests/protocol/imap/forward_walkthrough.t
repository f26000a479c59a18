# RFC 5550 §8.4, "forward without download", the store's half with the
# RFC's own commands: §8.4.1 builds the forward on the server with
# CATENATE (synchronizing literals, as in the RFC), mints a submit+ URL
# for it with GENURLAUTH, and the submission server's identity redeems it
# with URLFETCH; §8.4.2 mints URLs for a part and its MIME header, which
# the submission server fetches in one URLFETCH; then the client sets
# $Forwarded itself (§5.9: nothing sets it for it). Names follow the RFC
# (bob.ar@example.org, submitserver); UIDs, UIDVALIDITYs and tokens are
# this server's, and the expiry lies in the future.
!user bob.ar accio
!user submitserver secret
!option server.hostname=example.org
!option imap.urlauth_submit_users=submitserver
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: A0050 LOGIN bob.ar accio
S: A0050 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# The travel agent's message, with the trip details as a base64 text part.
C: A0001 APPEND INBOX {564+}
C: From: Travel Agent <agent@example.com>
C: To: bob.ar@example.org
C: Subject: Your trip
C: MIME-Version: 1.0
C: Content-Type: multipart/mixed; boundary="t"
C: 
C: --t
C: Content-Type: text/plain; charset=US-ASCII
C: 
C: Please find your updated trip details attached.
C: --t
C: Content-Type: text/plain; charset=US-ASCII; name="trip.txt"
C: Content-ID: <960723163407.20117h@washington.example.com>
C: Content-Description: Your trip details
C: Content-Transfer-Encoding: base64
C: 
C: RmxpZ2h0IExIIDQ1NiwgMjggT2N0b2JlciAyMDA2LCAwODoxNSBaUkggLT4gTEhSDQpIb3RlbDogU3RyYW5kLCB0d28gbmlnaHRzDQo=
C: --t--
C: 
S: A0001 OK [APPENDUID ${inbox} 1] APPEND completed
C: A0002 ENABLE CONDSTORE
S: * ENABLED CONDSTORE
S: A0002 OK ENABLE completed
C: A0003 SELECT INBOX
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${inbox}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: A0003 OK [READ-WRITE] SELECT completed
# §8.4.1: "The client connects to the IMAP server ... and fetches body
# structures".
C: A0051 UID FETCH 1 (UID BODYSTRUCTURE)
S: * 1 FETCH (UID 1 BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 47 1 NIL NIL NIL NIL)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "trip.txt") "<960723163407.20117h@washington.example.com>" "Your trip details" "BASE64" 104 1 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "t") NIL NIL NIL))
S: A0051 OK UID FETCH completed
# "The client invokes CATENATE": the new header and text, the trip
# details' MIME header and body by URL, the closing boundary.
C: A0052 APPEND Sent (\Draft \Seen $MDNSent) CATENATE (TEXT {474}
S: + Ready for literal data
C: Message-ID: <419399E1.6000505@caernarfon.example.org>
C: Date: Thu, 12 Nov 2004 16:57:05 +0000
C: From: Bob Ar <bar@example.org>
C: MIME-Version: 1.0
C: To: foo@example.net
C: Subject: About our holiday trip
C: Content-Type: multipart/mixed;
C:     boundary="------------030308070208000400050907"
C: 
C: --------------030308070208000400050907
C: Content-Type: text/plain; format=flowed
C: 
C: Our travel agent has sent the updated schedule.
C: 
C: Cheers,
C: Bob
C: --------------030308070208000400050907
C:  URL "/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME" URL "/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2" TEXT {44}
S: + Ready for literal data
C: 
C: --------------030308070208000400050907--
C: )
S: A0052 OK [APPENDUID ${sent} 1] APPEND completed
# "The client uses the GENURLAUTH command to request a URLAUTH URL".
C: A0053 GENURLAUTH "imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar" INTERNAL
S: * GENURLAUTH "imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t1}"
S: A0053 OK GENURLAUTH completed
# "The mail Submission Server opens an IMAP connection to the IMAP
# server" and fetches the message CATENATE built.
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: a001 LOGIN submitserver secret
S2: a001 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: a002 URLFETCH "imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t1}"
S2: * URLFETCH "imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t1}" {818}Message-ID: <419399E1.6000505@caernarfon.example.org>\r\nDate: Thu, 12 Nov 2004 16:57:05 +0000\r\nFrom: Bob Ar <bar@example.org>\r\nMIME-Version: 1.0\r\nTo: foo@example.net\r\nSubject: About our holiday trip\r\nContent-Type: multipart/mixed;\r\n    boundary="------------030308070208000400050907"\r\n\r\n--------------030308070208000400050907\r\nContent-Type: text/plain; format=flowed\r\n\r\nOur travel agent has sent the updated schedule.\r\n\r\nCheers,\r\nBob\r\n--------------030308070208000400050907\r\nContent-Type: text/plain; charset=US-ASCII; name="trip.txt"\r\nContent-ID: <960723163407.20117h@washington.example.com>\r\nContent-Description: Your trip details\r\nContent-Transfer-Encoding: base64\r\n\r\nRmxpZ2h0IExIIDQ1NiwgMjggT2N0b2JlciAyMDA2LCAwODoxNSBaUkggLT4gTEhSDQpIb3RlbDogU3RyYW5kLCB0d28gbmlnaHRzDQo=\r\n--------------030308070208000400050907--\r\n
S2: a002 OK URLFETCH completed
# §8.4.2: URLs for the part and its MIME header, for BURL to fetch.
C: B0052 GENURLAUTH "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar" INTERNAL "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar" INTERNAL
S: * GENURLAUTH "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t2}" "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t3}"
S: B0052 OK GENURLAUTH completed
!differ t2 t3
C2: b002 URLFETCH "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t2}" "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t3}"
S2: * URLFETCH "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t2}" {196}Content-Type: text/plain; charset=US-ASCII; name="trip.txt"\r\nContent-ID: <960723163407.20117h@washington.example.com>\r\nContent-Description: Your trip details\r\nContent-Transfer-Encoding: base64\r\n\r\n "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t3}" {104}RmxpZ2h0IExIIDQ1NiwgMjggT2N0b2JlciAyMDA2LCAwODoxNSBaUkggLT4gTEhSDQpIb3RlbDogU3RyYW5kLCB0d28gbmlnaHRzDQo=
S2: b002 OK URLFETCH completed
C2: b003 LOGOUT
S2: * BYE Lemonade logging out
S2: b003 OK LOGOUT completed
# "The client marks the message containing the forwarded attachment".
C: B0053 UID STORE 1 +FLAGS.SILENT ($Forwarded)
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Forwarded \*)] Flags permitted
S: * 1 FETCH (UID 1 MODSEQ (${ms}))
S: B0053 OK UID STORE completed
