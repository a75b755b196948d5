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


FAMILIES: tuple[Family, ...] = (
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
