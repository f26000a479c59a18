# RFC 3501 §6.3.3 CREATE, §6.3.4 DELETE, §6.3.5 RENAME, with the RFC's
# examples adapted to our "/" separator.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# §6.3.3 example: CREATE owatagusiam/ creates the name without the separator.
C: A003 CREATE owatagusiam/
S: A003 OK CREATE completed
C: A004 CREATE owatagusiam/blurdybloop
S: A004 OK CREATE completed
C: A005 CREATE owatagusiam
S: A005 NO [ALREADYEXISTS] Mailbox already exists
C: A006 CREATE inbox
S: A006 NO [ALREADYEXISTS] INBOX always exists
# Superiors are created as needed.
C: A007 CREATE a/b/c
S: A007 OK CREATE completed
C: A008 LIST "" a*
S: * LIST (\HasChildren) "/" a
S: * LIST (\HasChildren) "/" a/b
S: * LIST (\HasNoChildren) "/" a/b/c
S: A008 OK LIST completed
C: A009 CREATE "bad//name"
S: A009 NO [CANNOT] Empty hierarchy level in mailbox name
C: A010 CREATE "star*"
S: A010 NO [CANNOT] Wildcard in mailbox name
# §6.3.4 example: deleting a parent keeps it as \Noselect.
C: A682 LIST "" *
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: * LIST (\HasChildren) "/" a
S: * LIST (\HasChildren) "/" a/b
S: * LIST (\HasNoChildren) "/" a/b/c
S: * LIST (\HasChildren) "/" owatagusiam
S: * LIST (\HasNoChildren) "/" owatagusiam/blurdybloop
S: A682 OK LIST completed
C: A683 DELETE owatagusiam/blurdybloop
S: A683 OK DELETE completed
C: A684 DELETE a/b
S: A684 OK DELETE completed
C: A685 LIST "" a*
S: * LIST (\HasChildren) "/" a
S: * LIST (\Noselect \HasChildren) "/" a/b
S: * LIST (\HasNoChildren) "/" a/b/c
S: A685 OK LIST completed
C: A686 DELETE a/b
S: A686 NO [CANNOT] Mailbox has inferior hierarchical names
C: A687 SELECT a/b
S: A687 NO [CANNOT] Mailbox is not selectable
C: A688 DELETE a/b/c
S: A688 OK DELETE completed
# The \Noselect level goes with its last inferior.
C: A689 LIST "" a*
S: * LIST (\HasNoChildren) "/" a
S: A689 OK LIST completed
C: A690 DELETE INBOX
S: A690 NO [CANNOT] INBOX cannot be deleted
C: A691 DELETE nosuch
S: A691 NO [NONEXISTENT] Mailbox does not exist
# §6.3.5 example: RENAME moves inferiors too.
C: A692 CREATE blurdybloop
S: A692 OK CREATE completed
C: A693 CREATE foo/bar
S: A693 OK CREATE completed
C: A694 RENAME blurdybloop sarasoop
S: A694 OK RENAME completed
C: A695 RENAME foo zowie
S: A695 OK RENAME completed
C: A696 LIST "" *
S: * LIST (\HasNoChildren) "/" INBOX
S: * LIST (\HasNoChildren \Archive) "/" Archive
S: * LIST (\HasNoChildren \Drafts) "/" Drafts
S: * LIST (\HasNoChildren \Junk) "/" Junk
S: * LIST (\HasNoChildren \Sent) "/" Sent
S: * LIST (\HasNoChildren \Trash) "/" Trash
S: * LIST (\HasNoChildren) "/" a
S: * LIST (\HasNoChildren) "/" owatagusiam
S: * LIST (\HasNoChildren) "/" sarasoop
S: * LIST (\HasChildren) "/" zowie
S: * LIST (\HasNoChildren) "/" zowie/bar
S: A696 OK LIST completed
C: A697 RENAME nosuch other
S: A697 NO [NONEXISTENT] Mailbox does not exist
C: A698 RENAME sarasoop zowie
S: A698 NO [ALREADYEXISTS] Target mailbox already exists
C: A699 RENAME zowie zowie/inner
S: A699 NO [CANNOT] Cannot rename a mailbox below itself
# §6.3.5: renaming INBOX moves its messages to the new name, leaves INBOX
# empty, and leaves INBOX's inferiors alone.
C: A700 APPEND INBOX {12+}
C: Subject: x
C: 
S: A700 OK [APPENDUID ${uv} 1] APPEND completed
C: A701 CREATE INBOX/kept
S: A701 OK CREATE completed
C: A702 RENAME inbox old-mail
S: A702 OK RENAME completed
C: A703 STATUS INBOX (MESSAGES UIDNEXT)
S: * STATUS INBOX (MESSAGES 0 UIDNEXT 2)
S: A703 OK STATUS completed
C: A704 STATUS old-mail (MESSAGES UIDNEXT)
S: * STATUS old-mail (MESSAGES 1 UIDNEXT 2)
S: A704 OK STATUS completed
C: A705 LIST "" INBOX*
S: * LIST (\HasChildren) "/" INBOX
S: * LIST (\HasNoChildren) "/" INBOX/kept
S: A705 OK LIST completed
# A name deleted and created again never repeats its UIDVALIDITY
# (RFC 3501 §2.3.1.1).
C: A706 STATUS sarasoop (UIDVALIDITY)
S: * STATUS sarasoop (UIDVALIDITY ${old})
S: A706 OK STATUS completed
C: A707 DELETE sarasoop
S: A707 OK DELETE completed
C: A708 CREATE sarasoop
S: A708 OK CREATE completed
C: A709 STATUS sarasoop (UIDVALIDITY)
S: * STATUS sarasoop (UIDVALIDITY ${new})
S: A709 OK STATUS completed
!differ old new
