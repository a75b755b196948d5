"""Phrase tables for the sandbox seed: problem families, names, places.

Kept apart from ``seed.py`` so the generator logic stays readable and the prose can grow
without touching code. Templates use ``str.format_map`` placeholders filled per ticket:
``{first} {user} {city} {site} {client} {host} {serial} {model} {printer} {server} {app}
{err} {n} {mins} {floor} {ip} {env} {url} {build} {share} {pct} {sw} {phone}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fix:
    """One way a family of problems gets resolved; becomes a closure note and a KB article."""

    title: str
    steps: tuple[str, ...]
    note: str
    hours: tuple[float, float] = (0.25, 1.5)


@dataclass(frozen=True)
class Family:
    """A recurring problem: how users describe it, how agents work it, how it gets fixed."""

    key: str
    name: str
    category: str
    team: str
    weight: float
    priorities: tuple[int, int, int, int]  # relative weights for P1..P4
    summaries: tuple[str, ...]
    details: tuple[str, ...]
    quotes: tuple[str, ...]
    triage: tuple[str, ...]
    fixes: tuple[Fix, ...]
    tags: tuple[str, ...]
    ticket_type: str = "Incident"
    asset: str | None = None  # asset kind linked on the ticket: laptop, server, network, printer, phone
    errors: tuple[str, ...] = field(default=("",))


BASE_FAMILIES: tuple[Family, ...] = (
    Family(
        key="vpn",
        name="VPN drops",
        category="Network>VPN",
        team="Network",
        weight=7,
        priorities=(3, 30, 50, 17),
        asset="laptop",
        summaries=(
            "VPN keeps disconnecting",
            "VPN drops every few minutes",
            "GlobalProtect VPN disconnects when working from home",
            "Cannot stay connected to VPN - {city}",
            "VPN connection drops during Teams calls",
            "VPN disconnecting repeatedly since this morning",
        ),
        details=(
            "Since this morning my VPN connection drops roughly every {n} minutes. Each time I have to reconnect "
            "and sign in again, which kills any file copy or Teams call in progress. Laptop is {host}.",
            "GlobalProtect shows 'Connected' and then after a few minutes flips to 'Disconnected: {err}'. "
            "It happens on home Wi-Fi and on my phone hotspot, so I don't think it's my broadband.",
            "Several of us in the {city} office / working remotely for {city} are losing VPN. It reconnects on its "
            "own after about a minute, but RDP sessions to {server} drop every time.",
        ),
        quotes=(
            "It's happened five times this morning already.",
            "Colleagues on the same team are seeing the same thing.",
            "I have a client presentation at 2pm and need this working.",
            "It was fine last week.",
        ),
        errors=(
            "Gateway timeout (GP-1002)",
            "The network connection between your computer and the VPN server was interrupted (error 619)",
            "Tunnel keepalive failed",
            "IKE SA lifetime expired, renegotiation failed",
        ),
        triage=(
            "Checked GlobalProtect logs on {host}: repeated keepalive timeouts to the {city} gateway.",
            "Gateway monitoring shows session count for the {city} gateway near its licence limit at peak times.",
            "User on latest client 6.2.x; no local firewall changes. Escalating to Network.",
        ),
        fixes=(
            Fix(
                "Increase VPN gateway tunnel keepalive and session limits",
                (
                    "Confirm drops are on one gateway in the GlobalProtect portal logs.",
                    "Raise the tunnel keepalive interval to 30s and the idle timeout to 180 minutes.",
                    "Increase the concurrent session limit on the {city} gateway.",
                    "Ask affected users to reconnect and monitor for an hour.",
                ),
                "Gateway keepalive was too aggressive and the {city} gateway hit its session limit at peak. "
                "Raised keepalive to 30s, idle timeout to 180 min and the session limit; user confirmed stable "
                "for 2 hours.",
                (0.5, 2.0),
            ),
            Fix(
                "Reinstall the VPN client and reset the virtual adapter",
                (
                    "Uninstall the GlobalProtect client from Apps & features.",
                    "Delete the PanGPS virtual adapter in Device Manager.",
                    "Reboot and install the current client from the company portal.",
                    "Reconnect and confirm the tunnel stays up for 15 minutes.",
                ),
                "Corrupted virtual adapter on {host}. Removed the client and PanGPS adapter, reinstalled the "
                "current client; VPN stable since.",
                (0.3, 1.0),
            ),
            Fix(
                "Fix VPN drops caused by home router MTU",
                (
                    "Ping the gateway with DF set to find the path MTU.",
                    "Set the client MTU to 1350 in the portal config for the user group.",
                    "Ask the user to disable 'SIP ALG' on the home router if present.",
                ),
                "Path MTU through the user's ISP was 1400; fragmented packets were dropped. Lowered client MTU to "
                "1350; no drops since.",
                (0.5, 1.5),
            ),
        ),
        tags=("vpn", "globalprotect", "remote-access", "network"),
    ),
    Family(
        key="mfa",
        name="MFA reset",
        category="Identity>MFA",
        team="Identity",
        weight=6,
        priorities=(1, 15, 55, 29),
        ticket_type="Service Request",
        asset="phone",
        summaries=(
            "MFA reset needed - new phone",
            "Can't sign in, Authenticator prompts not arriving",
            "Lost phone - please reset my MFA",
            "Locked out of Microsoft 365 (MFA)",
            "Authenticator app stopped working after phone upgrade",
        ),
        details=(
            "I got a new phone yesterday and didn't move the Microsoft Authenticator app across. Now I can't approve "
            "the sign-in and I'm locked out of Outlook and Teams.",
            "When I try to log in I get '{err}'. I don't receive any push notification on my phone.",
            "I left my phone in a taxi and I need MFA reset so I can sign in from my laptop {host}.",
        ),
        quotes=(
            "I'm calling from a colleague's desk phone.",
            "My manager can confirm who I am.",
            "I need access before the 10am meeting.",
        ),
        errors=(
            "AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor "
            "authentication",
            "AADSTS50158: External security challenge not satisfied",
            "We couldn't send a notification to your Authenticator app",
        ),
        triage=(
            "Verified identity by call-back to the number on file and confirmation from line manager.",
            "Sign-in logs show repeated MFA denied / timed out for the user.",
        ),
        fixes=(
            Fix(
                "Reset MFA registration for a user in Entra ID",
                (
                    "Verify the caller's identity (call-back to the number on file or manager confirmation).",
                    "Entra admin centre > Users > select user > Authentication methods.",
                    "Click 'Require re-register multifactor authentication' and revoke MFA sessions.",
                    "Issue a Temporary Access Pass valid for 1 hour.",
                    "Walk the user through registering Microsoft Authenticator at https://aka.ms/mysecurityinfo.",
                ),
                "Identity verified by call-back. Required MFA re-registration, issued a 1-hour Temporary Access Pass "
                "and the user re-registered Authenticator on the new phone. Sign-in confirmed.",
                (0.2, 0.6),
            ),
            Fix(
                "Restore Authenticator after a phone upgrade",
                (
                    "Confirm the old phone is still available.",
                    "On the new phone install Authenticator and sign in with the work account.",
                    "Approve the transfer from the old phone, then remove the old device from My Sign-ins.",
                ),
                "User still had the old handset; moved Authenticator to the new phone and removed the old device "
                "from security info.",
                (0.2, 0.5),
            ),
        ),
        tags=("mfa", "entra", "azure-ad", "authenticator", "account"),
    ),
    Family(
        key="printer",
        name="Printer not printing",
        category="Hardware>Printer",
        team="Service Desk",
        weight=5,
        priorities=(0, 5, 45, 50),
        asset="printer",
        summaries=(
            "Printer on floor {floor} not printing",
            "{printer} stuck - jobs queue but nothing prints",
            "Can't print to {printer}",
            "Printer offline in {city} office",
            "Paper jam error on {printer} won't clear",
        ),
        details=(
            "Jobs sent to {printer} sit in the queue as 'Printing' and nothing comes out. Other people on floor "
            "{floor} have the same problem.",
            "The printer display shows '{err}'. We've turned it off and on again and opened every tray.",
            "Since the Windows update last night my laptop {host} says the printer is offline, but it works for "
            "colleagues.",
        ),
        quotes=("We have payroll letters to print today.", "It's the only colour printer on this floor."),
        errors=("Paper jam in tray 2 (13.A2.D4)", "49.4C02 error - turn off then on", "Offline", "Toner low"),
        triage=(
            "Print server queue for {printer} has {n} stuck jobs; spooler on the print server is responsive.",
            "Printer responds to ping; web admin page shows an error state.",
        ),
        fixes=(
            Fix(
                "Clear a stuck print queue",
                (
                    "On the print server open Print Management and locate the queue.",
                    "Cancel all documents; if they do not clear, stop the Print Spooler service.",
                    "Delete files in C:\\Windows\\System32\\spool\\PRINTERS and start the spooler.",
                    "Send a test page.",
                ),
                "Corrupt job blocked the queue for {printer}. Stopped the spooler, cleared the spool folder, "
                "restarted; test page printed and users confirmed.",
                (0.2, 0.8),
            ),
            Fix(
                "Clear a paper jam and reset the fuser error",
                (
                    "Power off the printer and open all doors.",
                    "Remove jammed paper from tray 2 path and the fuser area (let it cool).",
                    "Power on and run a cleaning page.",
                    "If the error returns, log a call with the print supplier.",
                ),
                "Torn sheet lodged behind the fuser on {printer}. Removed it, ran cleaning page; printing again.",
                (0.3, 1.0),
            ),
            Fix(
                "Reinstall the printer driver after a Windows update",
                (
                    "Remove the printer from Settings > Printers & scanners.",
                    "Run 'printui /s /t2' and delete the old driver package.",
                    "Re-add the printer from \\\\print01 using the Type 4 driver.",
                ),
                "Windows update replaced the driver on {host}. Removed and re-added the queue with the current "
                "driver; printing fine.",
                (0.2, 0.6),
            ),
        ),
        tags=("printer", "print-queue", "spooler", "hardware"),
    ),
    Family(
        key="blackscreen",
        name="Laptop black screen",
        category="Hardware>Laptop",
        team="Service Desk",
        weight=5,
        priorities=(1, 25, 55, 19),
        asset="laptop",
        summaries=(
            "Laptop shows black screen after login",
            "Black screen on {host} - only cursor visible",
            "Laptop won't display anything after docking",
            "Screen stays black after Windows update",
        ),
        details=(
            "When I log in to {host} the screen goes black with just the mouse cursor. Ctrl+Alt+Del works but "
            "nothing else loads.",
            "My {model} powers on (keyboard lights come on) but the screen stays completely black. I tried holding "
            "the power button for 30 seconds.",
            "After undocking this morning the laptop screen is black; the external monitor works when docked.",
        ),
        quotes=("I can't do any work.", "I've got deadlines today.", "It's about three years old."),
        errors=("",),
        triage=(
            "Asset {host} ({model}, serial {serial}); checked warranty status in the asset record.",
            "Remote session not possible; asked user to try Win+Ctrl+Shift+B and an external display.",
        ),
        fixes=(
            Fix(
                "Fix black screen after login (explorer.exe / display driver)",
                (
                    "Press Win+Ctrl+Shift+B to reset the graphics driver.",
                    "Open Task Manager, File > Run new task > explorer.exe.",
                    "Boot to Safe Mode and roll back the display driver in Device Manager.",
                    "Install the vendor-approved driver from the software portal.",
                ),
                "Display driver from the latest update failed to load. Rolled back the driver in Safe Mode and "
                "installed the approved version; laptop boots normally.",
                (0.5, 1.5),
            ),
            Fix(
                "Replace a failed laptop display under warranty",
                (
                    "Confirm external display works (rules out mainboard).",
                    "Check the asset's warranty end date.",
                    "Raise a warranty claim with the supplier quoting the serial number.",
                    "Issue a loan laptop and schedule the engineer visit.",
                ),
                "LCD panel failed on {host} (serial {serial}). Warranty claim raised with the supplier, engineer "
                "replaced the display; loan laptop returned.",
                (1.0, 3.0),
            ),
        ),
        tags=("laptop", "display", "black-screen", "hardware", "warranty"),
    ),
    Family(
        key="staging502",
        name="502 on staging",
        category="Application>Web",
        team="DevOps",
        weight=3,
        priorities=(10, 45, 35, 10),
        asset="server",
        summaries=(
            "502 Bad Gateway on staging",
            "Staging environment returning 502 errors",
            "{url} gives 502 Bad Gateway",
            "Staging site down after deploy {build}",
        ),
        details=(
            "Since the {build} deploy, {url} returns '502 Bad Gateway' from nginx for every request. QA testing is "
            "blocked.",
            "Intermittent 502s on staging: about one in three requests to the API fails. The load balancer health "
            "check for {server} is flapping.",
        ),
        quotes=("The release is scheduled for Thursday.", "QA team of six are blocked."),
        errors=("502 Bad Gateway (nginx/1.24.0)", "upstream prematurely closed connection", "connect() failed (111)"),
        triage=(
            "nginx error log on {server}: 'connect() failed (111: Connection refused) while connecting to upstream'.",
            "App container restarting in a loop; last deploy {build} changed the health check path.",
        ),
        fixes=(
            Fix(
                "Resolve 502 Bad Gateway after a deployment",
                (
                    "Check nginx error log for 'connect() failed' or 'upstream prematurely closed'.",
                    "Check the app container status and logs (docker ps / kubectl get pods).",
                    "If the new build crashes on start, roll back to the previous image.",
                    "Fix the health check path or missing environment variable and redeploy.",
                ),
                "Build {build} expected a new DATABASE_URL variable that was missing on staging, so the app crashed "
                "on start and nginx returned 502. Added the variable, redeployed; staging healthy.",
                (0.5, 3.0),
            ),
            Fix(
                "Fix 502s caused by upstream timeouts",
                (
                    "Compare upstream response times against proxy_read_timeout.",
                    "Raise proxy_read_timeout to 120s for the API location.",
                    "Increase app worker count to match the CPU count.",
                ),
                "Slow report endpoint exceeded the 60s proxy timeout on {server}. Raised proxy_read_timeout and app "
                "workers; no 502s in the last hour.",
                (0.5, 2.0),
            ),
        ),
        tags=("staging", "nginx", "502", "deployment", "devops"),
    ),
    Family(
        key="mailbox",
        name="Mailbox full",
        category="Email>Outlook",
        team="Service Desk",
        weight=5,
        priorities=(0, 10, 50, 40),
        summaries=(
            "Mailbox full - can't send email",
            "Outlook says my mailbox is over its limit",
            "Getting 'mailbox almost full' warnings",
            "Emails bouncing back - mailbox quota exceeded",
        ),
        details=(
            "Outlook shows a banner saying my mailbox is full ({pct}% of 50 GB) and I can't send any email.",
            "People tell me emails to me are bouncing with '{err}'.",
        ),
        quotes=("I need to keep the old emails for audit.", "I deleted loads yesterday and it's still full."),
        errors=(
            "552 5.2.2 Mailbox full",
            "Your mailbox is full. You might not be able to send or receive items.",
            "QuotaExceededException",
        ),
        triage=("Mailbox size {pct}% of quota; archive mailbox not enabled.",),
        fixes=(
            Fix(
                "Enable online archive and apply a retention policy",
                (
                    "Exchange admin centre > Recipients > Mailboxes > select user > Others > Manage mailbox archive.",
                    "Enable the online archive.",
                    "Apply the 'Move to archive after 2 years' retention policy.",
                    "Run Start-ManagedFolderAssistant for the mailbox to process now.",
                ),
                "Enabled online archive and applied the 2-year archive policy; mailbox dropped to 41% after the "
                "folder assistant ran.",
                (0.2, 0.6),
            ),
            Fix(
                "Clear Recoverable Items and empty Deleted Items",
                (
                    "Empty Deleted Items and Junk folders.",
                    "In Outlook use 'Recover Deleted Items' > purge, or run Search-Mailbox -DeleteContent on "
                    "Recoverable Items.",
                    "Check the mailbox size has dropped.",
                ),
                "Deleted Items held 18 GB; emptied it and purged Recoverable Items. User can send again.",
                (0.2, 0.5),
            ),
        ),
        tags=("email", "outlook", "exchange", "mailbox", "quota"),
    ),
)

FIRST_NAMES: tuple[str, ...] = (
    "Alice", "Ben", "Chloe", "Daniel", "Emma", "Farah", "George", "Hannah", "Isaac", "Jade", "Kieran", "Laura",
    "Marcus", "Nadia", "Oliver", "Priya", "Quentin", "Rachel", "Samuel", "Tara", "Umar", "Victoria", "William",
    "Xin", "Yasmin", "Zach", "Amelia", "Bruno", "Carmen", "Dev", "Elena", "Felix", "Grace", "Hugo", "Imogen",
    "Jonah", "Katie", "Liam", "Maya", "Noah", "Olivia", "Patrick", "Rosa", "Sofia", "Tom", "Uma", "Vikram",
    "Wendy", "Yusuf", "Zoe",
)  # fmt: skip

SURNAMES: tuple[str, ...] = (
    "Adams", "Bennett", "Clarke", "Dawson", "Evans", "Fischer", "Garcia", "Hughes", "Iqbal", "Jensen", "Khan",
    "Lopez", "Murphy", "Nguyen", "O'Brien", "Patel", "Quinn", "Robinson", "Singh", "Thompson", "Underwood",
    "Vasquez", "Walsh", "Young", "Zhang", "Ahmed", "Brooks", "Carter", "Doyle", "Ellis", "Foster", "Grant",
    "Harper", "Ito", "Jones", "Kowalski", "Lee", "Moreau", "Novak", "Okafor",
)  # fmt: skip

DEPARTMENTS: tuple[str, ...] = (
    "Finance", "Sales", "Engineering", "HR", "Legal", "Marketing", "Operations", "Research", "IT", "Procurement",
)  # fmt: skip

JOB_TITLES: tuple[str, ...] = (
    "Analyst", "Engineer", "Manager", "Coordinator", "Director", "Consultant", "Administrator", "Assistant",
)  # fmt: skip

APPS: tuple[str, ...] = ("Outlook", "Teams", "SharePoint", "Sage 200", "Salesforce", "SAP GUI", "Power BI", "Xero")
SOFTWARE: tuple[str, ...] = (
    "Adobe Acrobat Pro", "Visio Plan 2", "Power BI Pro", "Tableau Desktop", "AutoCAD LT", "Project Plan 3",
    "Snagit", "Visual Studio Professional",
)  # fmt: skip

ACK_NOTES: tuple[str, ...] = (
    "Hi {first},\n\nThanks for getting in touch. I've picked this up and I'm looking into it now. "
    "I'll update you shortly.\n\nKind regards,\n{agent}\nService Desk",
    "Hi {first},\n\nThank you for reporting this. Your ticket has been assigned to {agent} and we're "
    "investigating.\n\nRegards,\nService Desk",
    "Hi {first},\n\nI've received your request and I'm on it. If anything changes in the meantime just reply "
    "to this email.\n\nThanks,\n{agent}",
)
ASK_NOTES: tuple[str, ...] = (
    "Hi {first},\n\nCould you let me know when this last worked, and send a screenshot of the error if you can? "
    "Also, are colleagues affected too?\n\nThanks,\n{agent}",
    "Hi {first},\n\nTo help us narrow this down, please restart {host} and tell me whether the problem comes "
    "back. A good time to call you would also help.\n\nThanks,\n{agent}",
    "Hi {first},\n\nI've made a change on our side. Could you try again and confirm whether it's working "
    "now?\n\nThanks,\n{agent}",
)
USER_REPLIES: tuple[str, ...] = (
    "Hi, I've restarted and it's still happening. Screenshot attached.",
    "Thanks - it worked for an hour and then did it again.",
    "I'm free after 2pm, you can call me on {phone}.",
    "Yes, two others on my team have the same issue.",
    "Tried again this morning, same error.",
)
PHONE_NOTES: tuple[str, ...] = (
    "Called {first} on {phone}; walked through the symptoms and agreed next steps.",
    "Phoned {first} to confirm details. They confirmed it started on Monday.",
    "Left voicemail for {first}; will try again this afternoon.",
)
ASSIGN_NOTES: tuple[str, ...] = (
    "Escalated to {team}: first-line checks done, needs {team} access to investigate further.",
    "Reassigned to {team} queue after initial triage.",
    "Passing to {team} - outside Service Desk permissions.",
)
SUPPLIER_NOTES: tuple[str, ...] = (
    "Logged with {supplier} under case {ref}. Awaiting engineer allocation.",
    "Warranty claim raised with {supplier}, case {ref}. Parts on order.",
)
CLOSE_NOTE = "Closed automatically after 3 working days in Resolved with no further response."
CANCEL_NOTES: tuple[str, ...] = (
    "Cancelled: {first} reports the issue cleared by itself and no longer needs help.",
    "Cancelled: duplicate of an existing ticket for the same issue.",
    "Cancelled at the user's request.",
)

# Projects: summary, category, budget type, details. {client} {city} filled per project.
PROJECTS: tuple[tuple[str, str, str, str], ...] = (
    ("Laptop refresh programme - {client}", "Project>Implementation", "Fixed Price",
     "Replace laptops that are out of warranty or older than four years. Scope: image build, data migration, "
     "collection and secure disposal of old devices. Milestones: pilot group, wave 1 (HQ), wave 2 (branches)."),
    ("Windows 11 upgrade - {client}", "Project>Migration", "Time and Materials",
     "In-place upgrade of all Windows 10 devices to Windows 11 23H2 via Intune feature update rings. "
     "Includes application compatibility testing and user comms."),
    ("Office move: {city} office", "Project>Implementation", "Fixed Price",
     "Relocate the {city} office: new comms room, structured cabling, Wi-Fi survey, firewall and switch "
     "install, desk moves over one weekend."),
    ("Firewall refresh - {client}", "Project>Implementation", "Fixed Price",
     "Replace end-of-life firewalls with Palo Alto PA-440s at every site, migrate VPN to GlobalProtect portal "
     "with two gateways, and retire the old IPsec tunnels."),
    ("Migrate file shares to SharePoint - {client}", "Project>Migration", "Time and Materials",
     "Move departmental file shares to SharePoint Online with the Migration Manager, set up permissions "
     "and retention labels, and decommission the file server."),
    ("Staging environment rebuild on Kubernetes - {client}", "Project>Implementation", "Time and Materials",
     "Rebuild the staging environment on managed Kubernetes with GitOps deployments to stop the recurring "
     "502 errors after releases. Includes health checks and rollbacks."),
    ("MFA enforcement for all users - {client}", "Project>Implementation", "Fixed Price",
     "Enforce phishing-resistant MFA via Conditional Access, run registration campaign, retire SMS codes."),
    ("Backup platform migration - {client}", "Project>Migration", "Fixed Price",
     "Move server backups to Veeam with immutable offsite copies; quarterly restore tests."),
)  # fmt: skip

# Opportunities: summary, value range, probability, quote line items (item name, qty range).
OPPORTUNITIES: tuple[tuple[str, tuple[int, int], tuple[str, ...]], ...] = (
    ("Laptop refresh - out-of-warranty devices", (18000, 90000), ("Dell Latitude 7440", "Dell WD22TB4 Dock")),
    ("Microsoft 365 E5 upgrade", (12000, 60000), ("Microsoft 365 E5 (annual)",)),
    ("Managed SOC service", (24000, 120000), ("Managed SOC - per user per month",)),
    ("Wi-Fi 6 upgrade", (8000, 30000), ("Ubiquiti U6 Pro", "Installation labour (day)")),
    ("Firewall replacement", (9000, 45000), ("Palo Alto PA-440", "Installation labour (day)")),
    ("Backup as a service", (6000, 26000), ("Backup as a Service - per TB per month",)),
    ("Additional support hours block", (3000, 15000), ("Prepaid support hours (10)",)),
)

# Catalogue items: name, description, base price, cost price, supplier index (1-based), asset type id or 0.
ITEMS: tuple[tuple[str, str, float, float, int, int], ...] = (
    ("Dell Latitude 7440", "14in business laptop, i7, 16GB, 512GB SSD, 3yr NBD onsite", 1450.0, 1180.0, 1, 1),
    ("Lenovo ThinkPad T14 Gen 3", "14in laptop, Ryzen 7, 16GB, 512GB, 3yr onsite", 1380.0, 1120.0, 2, 1),
    ("HP EliteBook 840 G9", "14in laptop, i5, 16GB, 256GB, 3yr onsite", 1320.0, 1090.0, 3, 1),
    ("Apple MacBook Pro 14 M3", "M3 Pro, 18GB, 512GB", 2099.0, 1840.0, 4, 1),
    ("Dell WD22TB4 Dock", "Thunderbolt 4 docking station", 289.0, 221.0, 1, 0),
    ("Dell P2723DE 27in", "27in QHD USB-C monitor", 329.0, 262.0, 1, 4),
    ("Apple iPhone 15", "128GB, business managed", 799.0, 690.0, 4, 3),
    ("Palo Alto PA-440", "Next-gen firewall incl. 1yr threat prevention", 2800.0, 2240.0, 6, 7),
    ("Ubiquiti U6 Pro", "Wi-Fi 6 access point", 159.0, 121.0, 7, 8),
    ("Cisco Catalyst 9300-48P", "48-port PoE+ switch", 6400.0, 5200.0, 5, 6),
    ("Dell PowerEdge R650", "1U server, 2x Xeon Silver, 128GB", 7200.0, 6100.0, 1, 5),
    ("Microsoft 365 E5 (annual)", "Per user per year", 684.0, 615.0, 9, 0),
    ("Microsoft 365 Business Premium (annual)", "Per user per year", 264.0, 238.0, 9, 0),
    ("Managed SOC - per user per month", "24x7 security monitoring and response", 12.0, 7.0, 10, 0),
    ("Backup as a Service - per TB per month", "Immutable offsite backup", 45.0, 22.0, 10, 0),
    ("Installation labour (day)", "Engineer day rate, on site", 750.0, 0.0, 10, 0),
    ("Prepaid support hours (10)", "Block of 10 support hours", 950.0, 0.0, 10, 0),
    ("Managed service - per user per month", "Service desk, patching, monitoring", 45.0, 0.0, 10, 0),
    ("Toner cartridge HP 212X black", "High-yield toner for HP M554", 189.0, 142.0, 3, 0),
    ("USB-C power adapter 90W", "Replacement laptop charger", 69.0, 41.0, 1, 0),
)

SERVICES: tuple[tuple[str, str, int], ...] = (
    ("Email (Exchange Online)", "Corporate email, calendars and shared mailboxes", 1),
    ("Remote Access VPN", "GlobalProtect VPN for remote and home workers", 2),
    ("Printing", "Managed print queues and multifunction devices at every site", 1),
    ("Staging Environment", "Pre-production web and API environment used by QA", 3),
    ("Production Website", "Customer-facing website and API", 3),
    ("Identity & MFA (Entra ID)", "Single sign-on, MFA and conditional access", 2),
    ("File Shares & SharePoint", "Departmental file storage", 1),
    ("Office Wi-Fi", "Corporate and guest wireless networks", 2),
    ("Microsoft Teams & Telephony", "Chat, meetings and Teams Phone", 1),
    ("Backup & Recovery", "Server and Microsoft 365 backups", 3),
)

# Service categories (Halo `ServiceCategory`), ids as used by SERVICES.
SERVICE_CATEGORIES: tuple[tuple[int, str, str], ...] = (
    (1, "Workplace & Collaboration", "Email, printing, files, chat and telephony"),
    (2, "Access & Network", "Remote access, identity and wireless"),
    (3, "Applications & Hosting", "Websites, environments and backups"),
)

RUNBOOKS: tuple[tuple[str, str, int], ...] = (
    ("Reset MFA registration", "Requires MFA re-registration and issues a 1-hour Temporary Access Pass.", 20),
    ("Clear print queue", "Stops the spooler on the print server, clears stuck jobs and restarts it.", 45),
    ("Restart staging app pods", "Rolling restart of the staging deployment and health-check verification.", 120),
    ("Enable online archive", "Enables the Exchange Online archive and runs the managed folder assistant.", 60),
    ("Reset VPN gateway sessions", "Drops stale GlobalProtect sessions on a gateway to free licences.", 30),
    ("Disable leaver account", "Blocks sign-in, revokes sessions, converts mailbox to shared.", 90),
    ("Warranty check for assets", "Looks up warranty end dates with the hardware vendor for a list of serials.", 15),
    ("Unlock AD account", "Unlocks the on-premises AD account and forces a password sync.", 10),
)

PROJECT_UPDATES: tuple[str, ...] = (
    "Weekly progress: milestone tasks on track, no blockers.",
    "Pilot group feedback collected; two minor issues logged for wave 1.",
    "Completed site survey and updated the plan with the client's IT lead.",
    "Build and configuration work; documentation updated in the project folder.",
    "Client workshop held; scope change requested for additional users (pending quote).",
    "Waiting on hardware delivery from supplier; rescheduled install.",
    "Cut-over completed for this phase; hypercare starts tomorrow.",
)

MORE_FAMILIES: tuple[Family, ...] = (
    Family(
        key="password",
        name="Account locked / password reset",
        category="Identity>Password",
        team="Identity",
        weight=6,
        priorities=(0, 10, 60, 30),
        ticket_type="Service Request",
        summaries=(
            "Account locked out",
            "Password reset needed",
            "Can't log in - account locked",
            "Password expired while on leave",
            "Locked out after changing password",
        ),
        details=(
            "I changed my password this morning and now my account keeps locking every few minutes. "
            "Windows says '{err}'.",
            "I've been on leave for three weeks and my password has expired. I can't get past the login "
            "screen on {host}.",
            "After typing the wrong password too many times I'm locked out of {app}.",
        ),
        quotes=("Please call me on my mobile.", "I'm working from the {city} office today."),
        errors=(
            "The referenced account is currently locked out and may not be logged on to.",
            "Your password has expired and must be changed.",
            "AADSTS50053: account is locked",
        ),
        triage=(
            "AD shows {n} bad password attempts from {host}; lockout source is the user's phone mail profile.",
            "Identity verified via call-back to {phone}.",
        ),
        fixes=(
            Fix(
                "Unlock an account locked by a stale password on a device",
                (
                    "Verify the user's identity by call-back.",
                    "Unlock the account in Active Directory Users and Computers (Account tab > Unlock).",
                    "Use the lockout status tool to find the lockout source.",
                    "Remove the old password from the phone's mail profile or Credential Manager on the source device.",
                ),
                "Lockouts were caused by the old password cached in the mail app on the user's phone. Unlocked "
                "the account and updated the phone; no further lockouts.",
                (0.2, 0.6),
            ),
            Fix(
                "Reset an expired password for a user on leave",
                (
                    "Verify identity.",
                    "Reset the password with 'User must change password at next logon'.",
                    "If remote, connect VPN pre-logon or use the self-service reset portal.",
                    "Confirm the user can sign in to Microsoft 365.",
                ),
                "Reset the expired password after identity check; user signed in and set a new password.",
                (0.1, 0.4),
            ),
        ),
        tags=("password", "lockout", "active-directory", "account"),
    ),
    Family(
        key="starter",
        name="New starter setup",
        category="Identity>Accounts",
        team="Identity",
        weight=4,
        priorities=(0, 15, 60, 25),
        ticket_type="Service Request",
        asset="laptop",
        summaries=(
            "New starter: {user2} starting Monday",
            "Please set up accounts for new joiner {user2}",
            "New starter laptop and accounts - {city}",
            "Onboarding request for {user2}",
        ),
        details=(
            "{user2} joins the {dept} team on Monday at the {city} office. They need a laptop, Microsoft 365 "
            "E3 licence, access to {share} and the same groups as {first}.",
            "Please create accounts for our new {dept} starter {user2}. Start date is next week; manager is {user}.",
        ),
        quotes=("Their desk is on floor {floor}.", "They'll need {sw} as well."),
        triage=(
            "HR confirmation received. Spare laptop allocated from stock.",
            "Copied group membership from {first}'s account as requested.",
        ),
        fixes=(
            Fix(
                "New starter checklist: accounts, licence and laptop",
                (
                    "Create the AD account from the department template.",
                    "Assign the Microsoft 365 licence group.",
                    "Add to security groups for shared drives and distribution lists.",
                    "Build the laptop via Autopilot and assign to the user.",
                    "Email the manager the username and first-day instructions.",
                ),
                "Account created, licence assigned, groups copied and laptop built via Autopilot. Welcome pack "
                "sent to the manager.",
                (1.0, 2.5),
            ),
        ),
        tags=("onboarding", "new-starter", "accounts", "autopilot"),
    ),
    Family(
        key="leaver",
        name="Leaver offboarding",
        category="Identity>Accounts",
        team="Identity",
        weight=3,
        priorities=(0, 25, 55, 20),
        ticket_type="Service Request",
        summaries=(
            "Leaver: {user2} - last day Friday",
            "Please disable account for {user2}",
            "Offboarding request - {user2}",
            "Urgent leaver - disable access today",
        ),
        details=(
            "{user2} leaves on Friday. Please disable their account at 5pm, forward email to {user} and "
            "collect the laptop.",
            "HR has asked for {user2}'s access to be removed immediately. Mailbox should convert to shared "
            "so the team can see it.",
        ),
        quotes=("Please keep the mailbox for 90 days.", "The laptop will be left with reception."),
        triage=("HR confirmation attached. Scheduled disable for the leaving date.",),
        fixes=(
            Fix(
                "Leaver checklist: disable, convert mailbox, recover devices",
                (
                    "Block sign-in and reset the password.",
                    "Revoke all sessions and MFA methods.",
                    "Convert the mailbox to shared and grant the manager access.",
                    "Remove licences and groups.",
                    "Wipe and return the laptop to stock.",
                ),
                "Account disabled at the agreed time, mailbox converted to shared with manager access, licences "
                "removed and laptop returned to stock.",
                (0.5, 1.5),
            ),
        ),
        tags=("offboarding", "leaver", "accounts", "security"),
    ),
    Family(
        key="wifi",
        name="Wi-Fi dropping",
        category="Network>Wi-Fi",
        team="Network",
        weight=4,
        priorities=(2, 20, 55, 23),
        asset="laptop",
        summaries=(
            "Wi-Fi keeps dropping on floor {floor}",
            "No Wi-Fi in meeting room {floor}.{n}",
            "Wireless very slow in the {city} office",
            "Laptop won't connect to CORP Wi-Fi",
        ),
        details=(
            "The office Wi-Fi on floor {floor} drops every few minutes. My laptop shows '{err}'.",
            "Since Monday the CORP network is really slow in the {city} office; speed tests show under "
            "2 Mbps. Guest Wi-Fi is fine.",
        ),
        quotes=("Everyone in our area has the same issue.", "It's worse in the afternoons."),
        errors=("No internet, secured", "Can't connect to this network", "Authentication failed (802.1X)"),
        triage=(
            "Controller shows the floor {floor} access point rebooting repeatedly.",
            "Client logs show 802.1X authentication failures against RADIUS.",
        ),
        fixes=(
            Fix(
                "Replace or reboot a failing wireless access point",
                (
                    "Check the controller for AP uptime and channel utilisation.",
                    "Reboot the AP via PoE port cycle.",
                    "If it keeps rebooting, replace the AP from stock and adopt it.",
                    "Rebalance channels on the floor.",
                ),
                "Floor {floor} AP was boot-looping after a power event. Replaced it from stock; clients stable.",
                (0.5, 2.0),
            ),
            Fix(
                "Fix Wi-Fi 802.1X authentication failures after certificate renewal",
                (
                    "Check NPS/RADIUS logs for reason code 16 or 22.",
                    "Confirm the RADIUS server certificate is trusted by clients.",
                    "Push the new CA chain via Intune and reconnect.",
                ),
                "RADIUS certificate had been renewed with a chain the laptops didn't trust. Deployed the "
                "intermediate CA via Intune; users connect again.",
                (0.5, 2.0),
            ),
        ),
        tags=("wifi", "wireless", "network", "802.1x"),
    ),
    Family(
        key="outlook",
        name="Outlook not syncing",
        category="Email>Outlook",
        team="Service Desk",
        weight=5,
        priorities=(0, 10, 60, 30),
        summaries=(
            "Outlook not receiving new emails",
            "Outlook stuck on 'Updating this folder'",
            "Outlook keeps crashing on startup",
            "Shared mailbox not showing in Outlook",
        ),
        details=(
            "Outlook on {host} hasn't received anything since {n} o'clock but webmail shows new messages.",
            "Outlook crashes every time I open it with '{err}'. I've restarted twice.",
            "I was given access to the {dept} shared mailbox but it doesn't appear in Outlook.",
        ),
        quotes=("I can use webmail for now but it's painful.", "It was fine yesterday."),
        errors=(
            "Microsoft Outlook has stopped working",
            "Cannot start Microsoft Outlook. The set of folders cannot be opened.",
            "Disconnected",
        ),
        triage=("OST file is {pct} GB; Outlook in cached mode.", "Safe mode start works - suspect an add-in."),
        fixes=(
            Fix(
                "Rebuild the Outlook profile and OST",
                (
                    "Close Outlook.",
                    "Control Panel > Mail > Show Profiles > Add a new profile.",
                    "Set the new profile as default and start Outlook.",
                    "Let the mailbox resync; delete the old profile after confirming.",
                ),
                "Corrupt OST on {host}. Created a new Outlook profile; mailbox resynced and mail flowing.",
                (0.3, 1.0),
            ),
            Fix(
                "Disable a faulty Outlook add-in",
                (
                    "Start Outlook with outlook.exe /safe.",
                    "File > Options > Add-ins > COM Add-ins > Go.",
                    "Untick recently added add-ins and restart normally.",
                ),
                "Outlook crashed due to an outdated PDF add-in. Disabled it and updated the software; Outlook stable.",
                (0.2, 0.6),
            ),
            Fix(
                "Add a shared mailbox to Outlook",
                (
                    "Confirm Full Access permission in Exchange admin.",
                    "Wait up to 60 minutes for automapping or "
                    "add via File > Account Settings > More Settings > Advanced.",
                    "Restart Outlook.",
                ),
                "Permission had been granted without automapping; added the shared mailbox manually.",
                (0.1, 0.4),
            ),
        ),
        tags=("outlook", "email", "ost", "microsoft-365"),
    ),
    Family(
        key="teams",
        name="Teams audio/video problems",
        category="Software>Microsoft Teams",
        team="Service Desk",
        weight=4,
        priorities=(0, 10, 55, 35),
        asset="laptop",
        summaries=(
            "No audio in Teams calls",
            "Teams camera not detected",
            "People can't hear me on Teams",
            "Teams keeps freezing during meetings",
        ),
        details=(
            "In Teams meetings nobody can hear me, although my headset works in other apps. Laptop {host}.",
            "Teams says '{err}' when I try to turn the camera on.",
            "Teams freezes for {n} seconds at a time during calls, then catches up.",
        ),
        quotes=("I have customer calls all afternoon.", "It's a new headset from IT."),
        errors=("We couldn't find a camera", "Your microphone is not working", "Poor network quality"),
        triage=("Teams device settings pointing at the dock's audio device.",),
        fixes=(
            Fix(
                "Fix Teams microphone or camera not working",
                (
                    "In Teams > Settings > Devices select the correct microphone and camera.",
                    "Windows Settings > Privacy > Camera/Microphone: allow desktop apps.",
                    "Clear the Teams cache (%appdata%\\Microsoft\\Teams) and restart.",
                    "Update the audio/camera driver from the software portal.",
                ),
                "Teams was using the dock's audio device and camera privacy was off. Corrected settings and "
                "cleared the cache; test call fine.",
                (0.2, 0.8),
            ),
        ),
        tags=("teams", "audio", "camera", "microsoft-365"),
    ),
    Family(
        key="shareaccess",
        name="Shared drive access denied",
        category="Identity>Permissions",
        team="Identity",
        weight=4,
        priorities=(0, 10, 60, 30),
        ticket_type="Service Request",
        summaries=(
            "Access denied to {share}",
            "Need access to the {dept} shared drive",
            "Can't open files on {share}",
            "Mapped drive missing after laptop rebuild",
        ),
        details=(
            "When I open {share} I get '{err}'. I need it for month-end.",
            "Please give me modify access to {share}. My manager {user} has approved.",
            "My S: drive disappeared after my laptop was rebuilt.",
        ),
        quotes=("Approval from my manager is below.", "Colleagues in my team can open it."),
        errors=(
            "Windows cannot access {share}. You do not have permission to access",
            "Access is denied.",
            "The network path was not found.",
        ),
        triage=("User not in the share's security group. Requested manager approval.",),
        fixes=(
            Fix(
                "Grant access to a shared folder via its security group",
                (
                    "Get written approval from the data owner.",
                    "Add the user to the share's security group.",
                    "Ask the user to sign out and back in (or run klist purge).",
                    "Confirm access.",
                ),
                "Added to the share's security group after manager approval; access confirmed after sign-out.",
                (0.1, 0.4),
            ),
            Fix(
                "Restore mapped drives after a rebuild",
                (
                    "Check the drive-mapping GPO/Intune policy applies to the user's group.",
                    "Run gpupdate /force.",
                    "Map manually with net use as a stop-gap.",
                ),
                "Drive mapping policy was scoped to the old device group. Fixed scope; drives back after gpupdate.",
                (0.2, 0.5),
            ),
        ),
        tags=("file-share", "permissions", "access", "security-group"),
    ),
    Family(
        key="software",
        name="Software install request",
        category="Software>Install",
        team="Service Desk",
        weight=4,
        priorities=(0, 3, 42, 55),
        ticket_type="Service Request",
        asset="laptop",
        summaries=(
            "Please install {sw}",
            "Software request: {sw}",
            "Need {sw} on my laptop",
            "{sw} installation failing",
        ),
        details=(
            "Could you install {sw} on {host}? I need it for a project starting next week.",
            "I tried installing {sw} from the company portal and it fails with '{err}'.",
        ),
        quotes=("My manager has approved the cost.", "No rush, end of the week is fine."),
        errors=(
            "0x87D1041C",
            "Installation failed with error 1603",
            "This app has been blocked by your system administrator",
        ),
        triage=("Licence available in the pool; approval from line manager on file.",),
        fixes=(
            Fix(
                "Deploy software from the company portal",
                (
                    "Check a licence is available and manager approval is recorded.",
                    "Add the user's device to the application's Intune assignment group.",
                    "Ask the user to sync the device and install from Company Portal.",
                ),
                "Approved and assigned {sw} to {host} via Intune; installed from Company Portal.",
                (0.2, 0.6),
            ),
            Fix(
                "Fix Intune app install error 0x87D1041C / 1603",
                (
                    "Check IntuneManagementExtension.log for the failing detection rule.",
                    "Remove leftover files from a previous version.",
                    "Retry the install from Company Portal.",
                ),
                "Old version left files that broke detection. Cleaned up and reinstalled; app detected.",
                (0.3, 1.0),
            ),
        ),
        tags=("software", "install", "intune", "company-portal"),
    ),
    Family(
        key="slowlaptop",
        name="Slow laptop",
        category="Hardware>Laptop",
        team="Service Desk",
        weight=4,
        priorities=(0, 5, 50, 45),
        asset="laptop",
        summaries=(
            "Laptop very slow",
            "{host} running really slowly",
            "Laptop takes 10 minutes to start",
            "Computer freezing constantly",
        ),
        details=(
            "My laptop {host} takes ages to do anything; opening Excel takes a couple of minutes and the fan "
            "is always on.",
            "Since last week my laptop freezes several times a day and I have to hard reset.",
        ),
        quotes=("It's really affecting my work.", "It's a {model}."),
        errors=("",),
        triage=("Disk 97% full; {n} startup apps; memory 16 GB at 95%.", "SMART warning on the SSD."),
        fixes=(
            Fix(
                "Speed up a slow laptop",
                (
                    "Check Task Manager for CPU, memory and disk usage.",
                    "Free disk space (Storage Sense, temp files, OneDrive Files On-Demand).",
                    "Disable unnecessary startup apps.",
                    "Install pending Windows and BIOS updates and reboot.",
                ),
                "Disk was nearly full and {n} startup apps were loading. Cleared space, trimmed startup apps and "
                "applied updates; boot time back to about a minute.",
                (0.5, 1.5),
            ),
            Fix(
                "Replace a failing SSD",
                (
                    "Confirm SMART/vendor diagnostics failure.",
                    "Check warranty and raise a claim.",
                    "Back up data to OneDrive; swap the drive and re-image via Autopilot.",
                ),
                "Vendor diagnostics failed the SSD on {host}; replaced under warranty and re-imaged.",
                (1.0, 3.0),
            ),
        ),
        tags=("laptop", "performance", "disk-space", "hardware"),
    ),
    Family(
        key="phishing",
        name="Phishing email reported",
        category="Security>Phishing",
        team="Security",
        weight=4,
        priorities=(2, 30, 50, 18),
        summaries=(
            "Suspicious email - possible phishing",
            "Phishing email received - did I do something wrong?",
            "Fake invoice email from supplier",
            "Email asking me to reset my password",
        ),
        details=(
            "I received an email claiming to be from {supplier2} asking me to pay an updated invoice to new bank "
            "details. It looks odd.",
            "I clicked a link in an email that said my mailbox was full and entered my password before I "
            "realised. Sorry!",
            "Got an email 'Your password expires today' with a link to a login page that isn't ours.",
        ),
        quotes=("I've not replied to it.", "I did click the link, sorry."),
        errors=("",),
        triage=(
            "Message trace: same sender delivered to {n} mailboxes.",
            "URL detonated in sandbox: credential harvesting page.",
        ),
        fixes=(
            Fix(
                "Respond to a reported phishing email",
                (
                    "Find all copies with Threat Explorer / message trace.",
                    "Soft-delete the messages from all mailboxes.",
                    "Block the sender domain and URL.",
                    "If credentials were entered: reset password, revoke sessions, review sign-ins.",
                ),
                "Purged the message from all mailboxes, blocked sender and URL. User had not entered credentials.",
                (0.3, 1.5),
            ),
            Fix(
                "Contain a user who entered credentials on a phishing page",
                (
                    "Reset the password and revoke refresh tokens.",
                    "Review sign-in logs for foreign logins.",
                    "Check inbox rules and forwarding for persistence.",
                    "Re-register MFA if suspicious.",
                ),
                "User entered credentials; reset password, revoked sessions, removed a malicious inbox rule; "
                "no data exfiltration found.",
                (1.0, 3.0),
            ),
        ),
        tags=("phishing", "security", "email", "incident-response"),
    ),
    Family(
        key="signin",
        name="Suspicious sign-in",
        category="Security>Account Compromise",
        team="Security",
        weight=2,
        priorities=(15, 50, 30, 5),
        summaries=(
            "Impossible travel alert for {user}",
            "Sign-in from unusual location",
            "Risky sign-in detected",
            "MFA prompts I didn't request",
        ),
        details=(
            "Entra ID Protection flagged a sign-in for {user} from an unfamiliar country {n} minutes after a "
            "sign-in from {city}.",
            "I keep getting MFA approval requests on my phone that I didn't start. I denied them.",
        ),
        quotes=("I'm not travelling.", "I denied every prompt."),
        errors=("Risk level: high", "Impossible travel", "Unfamiliar sign-in properties"),
        triage=("Sign-in logs: password correct from a foreign IP; MFA denied.",),
        fixes=(
            Fix(
                "Respond to MFA fatigue / suspicious sign-in alerts",
                (
                    "Confirm with the user they did not sign in.",
                    "Reset the password and revoke sessions.",
                    "Enable number matching for Authenticator.",
                    "Block the source IP range in Conditional Access.",
                ),
                "Password was compromised (MFA prompts denied). Reset password, revoked sessions, confirmed "
                "number matching; no further attempts.",
                (0.5, 2.0),
            ),
        ),
        tags=("security", "sign-in", "entra", "mfa-fatigue"),
    ),
    Family(
        key="diskspace",
        name="Server disk space alert",
        category="Infrastructure>Server",
        team="Infrastructure",
        weight=3,
        priorities=(5, 35, 45, 15),
        asset="server",
        summaries=(
            "Low disk space on {server}",
            "Alert: C: drive below 5% on {server}",
            "{server} disk almost full",
            "Disk space warning - {server} D: volume",
        ),
        details=(
            "Monitoring alert: {server} C: drive has {pct2}% free space remaining.",
            "Disk on {server} is filling quickly; IIS logs have grown to {n} GB.",
        ),
        quotes=("",),
        errors=("Disk C: free space below threshold", "Volume D: is 98% full"),
        triage=("TreeSize: IIS logs and WinSxS using most space.",),
        fixes=(
            Fix(
                "Free up space on a Windows server system drive",
                (
                    "Run TreeSize or WizTree to find large folders.",
                    "Compress or delete IIS logs older than 30 days.",
                    "Run DISM /Online /Cleanup-Image /StartComponentCleanup.",
                    "Add a scheduled log cleanup task.",
                ),
                "IIS logs had never been rotated on {server}. Cleaned up old logs and component store, added a "
                "cleanup task; 38% free.",
                (0.5, 1.5),
            ),
            Fix(
                "Extend a server volume",
                (
                    "Extend the virtual disk in the hypervisor.",
                    "Rescan disks and extend the volume in Disk Management.",
                    "Update the monitoring threshold baseline.",
                ),
                "Data growth was legitimate; extended the D: volume by 100 GB.",
                (0.3, 1.0),
            ),
        ),
        tags=("server", "disk-space", "monitoring", "windows-server"),
    ),
    Family(
        key="backup",
        name="Backup job failed",
        category="Infrastructure>Backup",
        team="Infrastructure",
        weight=3,
        priorities=(3, 30, 50, 17),
        asset="server",
        summaries=(
            "Backup job failed on {server}",
            "Nightly backup failed - {server}",
            "Veeam job warning: {server}",
            "Backups failing for 3 nights",
        ),
        details=(
            "Last night's backup for {server} failed with '{err}'.",
            "The Veeam job has failed {n} nights running; the backup copy job is also behind.",
        ),
        quotes=("",),
        errors=("Failed to create VSS snapshot", "Repository is out of space", "Timed out waiting for VM snapshot"),
        triage=("VSS writers on {server}: SQLServerWriter in failed state.",),
        fixes=(
            Fix(
                "Fix backup failures caused by a failed VSS writer",
                (
                    "Run vssadmin list writers on the server.",
                    "Restart the service owning the failed writer.",
                    "Retry the job and confirm success.",
                ),
                "SQL VSS writer was stuck on {server}. Restarted the SQL Writer service and reran the job "
                "successfully.",
                (0.3, 1.0),
            ),
            Fix(
                "Free space on a backup repository",
                (
                    "Check retention settings and orphaned restore points.",
                    "Remove orphaned backups.",
                    "Run a health check and retry.",
                ),
                "Repository full due to orphaned chains; cleaned up and reran, job succeeded.",
                (0.5, 2.0),
            ),
        ),
        tags=("backup", "veeam", "vss", "server"),
    ),
    Family(
        key="sslcert",
        name="SSL certificate expiring",
        category="Infrastructure>Certificates",
        team="DevOps",
        weight=2,
        priorities=(10, 40, 40, 10),
        asset="server",
        summaries=(
            "SSL certificate expiring soon on {url}",
            "Certificate expired - browser warning on website",
            "NET::ERR_CERT_DATE_INVALID on {url}",
        ),
        details=(
            "Browsers show '{err}' on {url}; the certificate expired last night.",
            "Monitoring warns the certificate for {url} expires in {n} days.",
        ),
        quotes=("Customers are calling about it.",),
        errors=("NET::ERR_CERT_DATE_INVALID", "Your connection is not private", "certificate has expired"),
        triage=("Auto-renewal failed: DNS challenge record missing after DNS provider change.",),
        fixes=(
            Fix(
                "Renew and deploy an expired TLS certificate",
                (
                    "Check the renewal job logs (certbot/ACME or CA portal).",
                    "Fix the DNS/HTTP validation and renew.",
                    "Deploy to the load balancer and web servers.",
                    "Verify the chain with an SSL checker.",
                ),
                "ACME renewal failed after the DNS move. Fixed the validation record, renewed and deployed; "
                "chain verified.",
                (0.5, 2.0),
            ),
        ),
        tags=("ssl", "tls", "certificate", "devops"),
    ),
    Family(
        key="pipeline",
        name="CI pipeline failing",
        category="Application>CI/CD",
        team="DevOps",
        weight=2,
        priorities=(3, 30, 50, 17),
        summaries=(
            "Build pipeline failing on main",
            "CI runner out of disk space",
            "Deploy to staging failing",
            "Pipeline stuck in queue",
        ),
        details=(
            "All builds on main fail at the 'docker build' step with '{err}'. Release {build} is blocked.",
            "Pipelines have been queued for {n} minutes; no runners are picking them up.",
        ),
        quotes=("We need to ship a hotfix today.",),
        errors=("no space left on device", "runner system failure", "npm ERR! code ETIMEDOUT"),
        triage=("Self-hosted runner disk at 100%: docker images never pruned.",),
        fixes=(
            Fix(
                "Recover a self-hosted CI runner",
                (
                    "SSH to the runner and check disk usage.",
                    "docker system prune -af --volumes.",
                    "Restart the runner service.",
                    "Add a nightly prune job.",
                ),
                "Runner disk filled with old images. Pruned, restarted the runner and added a nightly prune; "
                "builds green.",
                (0.3, 1.0),
            ),
        ),
        tags=("ci", "pipeline", "devops", "docker"),
    ),
    Family(
        key="apilatency",
        name="Production API slow",
        category="Application>Web",
        team="DevOps",
        weight=2,
        priorities=(20, 45, 30, 5),
        asset="server",
        summaries=(
            "Production API very slow",
            "Website timing out for customers",
            "High latency on checkout API",
            "Database CPU at 100%",
        ),
        details=(
            "Response times on the production API jumped from 200 ms to over {n} seconds at about 10:00.",
            "Customers report the website timing out; error rate is up and the DB CPU is pinned.",
        ),
        quotes=("Sales are losing orders.",),
        errors=("504 Gateway Timeout", "Lock wait timeout exceeded", "connection pool exhausted"),
        triage=("Slow query log: full table scan on orders after the latest migration.",),
        fixes=(
            Fix(
                "Fix API latency caused by a missing database index",
                (
                    "Identify the slow query in the DB slow log / query store.",
                    "Add the missing index online.",
                    "Confirm latency returns to baseline.",
                    "Add the index to the migration scripts.",
                ),
                "Latest migration dropped an index on orders. Recreated it online; p95 latency back to 220 ms.",
                (1.0, 3.0),
            ),
        ),
        tags=("performance", "database", "api", "devops"),
    ),
    Family(
        key="onedrive",
        name="OneDrive sync errors",
        category="Software>OneDrive",
        team="Service Desk",
        weight=3,
        priorities=(0, 5, 55, 40),
        asset="laptop",
        summaries=(
            "OneDrive not syncing",
            "OneDrive shows red cross on files",
            "Files not uploading to OneDrive",
            "OneDrive sync conflicts",
        ),
        details=(
            "OneDrive has a red X and says '{err}'. My files from yesterday aren't on the web.",
            "Lots of files show 'sync pending' and there are duplicate copies with my laptop name ({host}).",
        ),
        quotes=("I need these files for a meeting.",),
        errors=("Sync is paused", "The file name is invalid", "You're not syncing: your OneDrive is full"),
        triage=("OneDrive client {build}; {n} files with invalid characters.",),
        fixes=(
            Fix(
                "Reset the OneDrive sync client",
                (
                    "Pause sync and close OneDrive.",
                    "Run %localappdata%\\Microsoft\\OneDrive\\onedrive.exe /reset.",
                    "Restart OneDrive and sign in.",
                    "Rename files with invalid characters or paths over 400 chars.",
                ),
                "Reset the OneDrive client and renamed files with invalid characters; sync complete.",
                (0.3, 0.8),
            ),
        ),
        tags=("onedrive", "sync", "microsoft-365"),
    ),
    Family(
        key="battery",
        name="Laptop battery / charger failure",
        category="Hardware>Laptop",
        team="Service Desk",
        weight=3,
        priorities=(0, 10, 50, 40),
        asset="laptop",
        summaries=(
            "Laptop battery not charging",
            "Battery drains in under an hour",
            "Laptop charger not working",
            "Laptop won't power on without charger",
        ),
        details=(
            "My {model} says 'plugged in, not charging' and the battery is at {pct2}%.",
            "The battery on {host} lasts about 40 minutes now. It's swollen slightly near the trackpad.",
        ),
        quotes=("I travel a lot so need the battery.", "I've tried another charger."),
        errors=("Plugged in, not charging", "Battery health: replace"),
        triage=("Battery report: full charge capacity 31% of design. Checked warranty on asset {host}.",),
        fixes=(
            Fix(
                "Replace a laptop battery under warranty",
                (
                    "Run powercfg /batteryreport and vendor diagnostics.",
                    "Check the asset's warranty end date.",
                    "Raise a warranty claim quoting the serial number.",
                    "Swap the battery or issue a loan laptop.",
                ),
                "Battery failed diagnostics (31% capacity). Replaced under warranty by the supplier.",
                (0.5, 1.5),
            ),
            Fix(
                "Replace a failed laptop charger",
                ("Test with a known-good charger.", "Issue a replacement USB-C 90W adapter from stock."),
                "Charger faulty; swapped for a new 90W adapter from stock.",
                (0.1, 0.3),
            ),
        ),
        tags=("laptop", "battery", "hardware", "warranty"),
    ),
    Family(
        key="mobile",
        name="Mobile phone email / Intune enrolment",
        category="Hardware>Mobile",
        team="Service Desk",
        weight=3,
        priorities=(0, 5, 55, 40),
        asset="phone",
        summaries=(
            "Can't get work email on new phone",
            "Intune enrolment failing on iPhone",
            "Outlook app says device not compliant",
            "Company Portal won't register my phone",
        ),
        details=(
            "I'm setting up my new phone and Outlook says '{err}'.",
            "Company Portal gets to the end of enrolment and then fails. Tried three times.",
        ),
        quotes=("I need email on the go for site visits.",),
        errors=(
            "Your device doesn't meet the compliance requirements",
            "Couldn't enroll your device",
            "Device limit reached",
        ),
        triage=("User has hit the device enrolment limit (5).",),
        fixes=(
            Fix(
                "Enrol a phone in Intune and set up Outlook",
                (
                    "Remove old devices from the user's Intune record.",
                    "Install Company Portal and sign in.",
                    "Complete enrolment and wait for compliance to evaluate.",
                    "Sign in to the Outlook app.",
                ),
                "User was at the device limit. Removed stale devices; enrolment and Outlook setup completed.",
                (0.2, 0.6),
            ),
        ),
        tags=("mobile", "intune", "iphone", "email"),
    ),
    Family(
        key="siteoutage",
        name="Site network outage",
        category="Network>LAN",
        team="Network",
        weight=2,
        priorities=(40, 40, 15, 5),
        asset="network",
        summaries=(
            "Whole {city} office has no network",
            "Internet down at {site}",
            "Network outage - {city}",
            "Switch down in comms room, floor {floor} offline",
        ),
        details=(
            "Nobody in the {city} office can get online: no internet, no file shares, phones down.",
            "Floor {floor} lost network at {n}:15. Other floors fine. Comms room switch lights are off.",
        ),
        quotes=("Around 40 people affected.", "We have a client visit this afternoon."),
        errors=("No internet", "DHCP: no address"),
        triage=(
            "Firewall for the site unreachable from monitoring; ISP circuit status checked.",
            "Switch stack member offline; UPS alarm in comms room.",
        ),
        fixes=(
            Fix(
                "Restore a site after an ISP circuit outage",
                (
                    "Confirm the WAN interface is down on the firewall.",
                    "Raise a fault with the ISP.",
                    "Fail over to the 4G/LTE backup link.",
                    "Fail back once the circuit is restored.",
                ),
                "ISP fibre cut. Failed over to LTE backup within 20 minutes; primary restored by the ISP later.",
                (1.0, 4.0),
            ),
            Fix(
                "Replace a failed switch or power supply",
                (
                    "Check the switch and UPS in the comms room.",
                    "Move uplinks to the spare switch.",
                    "Restore config from backup.",
                    "RMA the failed unit with the vendor.",
                ),
                "Switch PSU failed after a UPS fault. Swapped to the spare and restored config; floor back online.",
                (1.0, 4.0),
            ),
        ),
        tags=("network", "outage", "isp", "switch", "major-incident"),
    ),
    Family(
        key="bitlocker",
        name="BitLocker recovery",
        category="Security>Encryption",
        team="Service Desk",
        weight=2,
        priorities=(1, 30, 55, 14),
        asset="laptop",
        summaries=(
            "Laptop asking for BitLocker recovery key",
            "BitLocker recovery screen after BIOS update",
            "Locked out by BitLocker",
        ),
        details=(
            "My laptop {host} boots to a blue screen asking for a 48-digit BitLocker recovery key.",
            "After the BIOS update last night the laptop asks for a BitLocker key. Key ID starts {ref}.",
        ),
        quotes=("I'm at a client site.",),
        errors=("Enter the recovery key for this drive",),
        triage=("Recovery key located in Intune/Entra for device {host}. Identity verified.",),
        fixes=(
            Fix(
                "Provide a BitLocker recovery key safely",
                (
                    "Verify the user's identity.",
                    "Find the key in Entra ID > Devices > BitLocker keys by key ID.",
                    "Read the key to the user over the phone (never email it).",
                    "After boot, suspend and resume BitLocker to re-seal the TPM; rotate the key.",
                ),
                "Identity verified; read out the recovery key from Entra ID, then re-sealed TPM and rotated the "
                "key after the BIOS update.",
                (0.2, 0.5),
            ),
        ),
        tags=("bitlocker", "encryption", "laptop", "security"),
    ),
    Family(
        key="licence",
        name="Licence request",
        category="Software>Licensing",
        team="Identity",
        weight=2,
        priorities=(0, 3, 47, 50),
        ticket_type="Service Request",
        summaries=("Request {sw} licence", "Need a {sw} licence for new role", "Licence for {sw} expired"),
        details=(
            "I've moved to the {dept} team and need a {sw} licence. Manager {user} approves.",
            "{sw} says my licence has expired and I can't open files.",
        ),
        quotes=("Cost centre is {dept}.",),
        errors=("Your licence has expired", "Unlicensed product"),
        triage=("{n} spare licences in the pool.",),
        fixes=(
            Fix(
                "Assign a software licence via group-based licensing",
                (
                    "Confirm approval and cost centre.",
                    "Add the user to the licence group in Entra ID.",
                    "Ask the user to sign out and back in to the app.",
                ),
                "Added to the licence group after approval; {sw} activated.",
                (0.1, 0.3),
            ),
        ),
        tags=("licensing", "software", "entra"),
    ),
    Family(
        key="winupdate",
        name="Windows update failing",
        category="Software>Windows",
        team="Infrastructure",
        weight=2,
        priorities=(0, 10, 50, 40),
        asset="laptop",
        summaries=(
            "Windows update keeps failing",
            "Stuck on 'Undoing changes' after update",
            "Feature update to 23H2 fails",
            "Update error {err2}",
        ),
        details=(
            "Windows Update on {host} fails every night with '{err}' and the laptop restarts.",
            "My laptop has been stuck on 'Working on updates 30%' for an hour.",
        ),
        quotes=("It keeps rebooting during meetings.",),
        errors=("0x800f0922", "0x80070002", "We couldn't complete the updates. Undoing changes."),
        triage=("CBS.log shows component store corruption.",),
        fixes=(
            Fix(
                "Repair Windows Update component store",
                (
                    "Run DISM /Online /Cleanup-Image /RestoreHealth.",
                    "Run sfc /scannow.",
                    "Reset the SoftwareDistribution and catroot2 folders.",
                    "Retry the update.",
                ),
                "Component store corruption on {host}. DISM and SFC repairs, reset update cache; update installed.",
                (0.5, 1.5),
            ),
        ),
        tags=("windows-update", "patching", "windows"),
    ),
    Family(
        key="dock",
        name="Docking station / monitors",
        category="Hardware>Peripherals",
        team="Service Desk",
        weight=3,
        priorities=(0, 5, 50, 45),
        asset="laptop",
        summaries=(
            "External monitors not detected",
            "Docking station not working",
            "Only one monitor works on dock",
            "Keyboard and mouse stop working when docked",
        ),
        details=(
            "When I dock {host} neither external monitor comes on. The dock's light is on.",
            "Only one of my two monitors works through the dock since the last update.",
        ),
        quotes=("I hot-desk on floor {floor}.",),
        errors=("USB device not recognized", "No signal"),
        triage=("Dock firmware two versions behind.",),
        fixes=(
            Fix(
                "Fix monitors not detected through a docking station",
                (
                    "Power-cycle the dock (unplug power for 30s).",
                    "Update dock firmware and laptop Thunderbolt drivers.",
                    "Check display cables and Windows display settings (Win+P: Extend).",
                ),
                "Dock firmware outdated; updated firmware and Thunderbolt driver, both monitors detected.",
                (0.3, 0.8),
            ),
        ),
        tags=("dock", "monitor", "peripherals", "hardware"),
    ),
    Family(
        key="teamsphone",
        name="Teams Phone / desk phone issues",
        category="Telephony>Teams Phone",
        team="Network",
        weight=2,
        priorities=(3, 25, 50, 22),
        summaries=(
            "Can't make external calls",
            "Inbound calls not ringing",
            "Call queue not routing calls",
            "Poor call quality on Teams Phone",
        ),
        details=(
            "Since this morning I can't dial external numbers from Teams; it says '{err}'.",
            "Calls to the {city} main number go straight to voicemail.",
        ),
        quotes=("Customers can't reach us.",),
        errors=("We couldn't complete your call", "Call failed - 403", "No dial pad"),
        triage=("User's phone number assignment missing after licence change.",),
        fixes=(
            Fix(
                "Restore Teams Phone calling after a licence change",
                (
                    "Check the user's Teams Phone licence and calling plan.",
                    "Re-assign the phone number and voice routing policy.",
                    "Ask the user to sign out/in of Teams after 15 minutes.",
                ),
                "Licence change removed the phone number. Re-assigned number and routing policy; calls working.",
                (0.3, 1.0),
            ),
        ),
        tags=("teams-phone", "telephony", "calls"),
    ),
)


FAMILIES: tuple[Family, ...] = BASE_FAMILIES + MORE_FAMILIES
