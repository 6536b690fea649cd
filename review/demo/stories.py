"""The demo newsroom's stories, written for redline in its own words.

The lead story is of the kind redline's users track most: truce talks, a
reported death toll and a hostage count that are revised as the day goes on.
The others are ordinary beats (a council, a storm, markets, health, sport,
schools, transport) so the report shows what a real outlet's day looks like.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Story:
    slug: str
    section: str
    headline: str
    byline: str
    paragraphs: list[str]
    # Seconds before the demo starts. Short on purpose: the demo's daemon runs a compressed
    # clock (150x by default), so 8 real seconds ago reads as 20 minutes ago.
    published_ago: int
    status: int = 200  # 404 once the outlet unpublishes it
    live: bool = True  # listed on the front page, in the feed and the sitemap
    notes: list[str] = field(default_factory=list)  # correction / update notes under the text

    @property
    def path(self) -> str:
        return f"/{self.section}/{self.slug}"


def newsroom_stories() -> list[Story]:
    """A fresh copy of every story as first published (the script edits them)."""
    return [
        Story(
            slug="truce-talks-stall",
            section="world",
            headline="Truce talks stall as Hamas rejects week-long pause",
            byline="Mara Lindqvist",
            published_ago=8,
            paragraphs=[
                "Mediators in Doha and Cairo spent a third day trying to revive a week-long truce between "
                "Israel and Hamas, officials familiar with the talks said on Tuesday.",
                "Israel offered a seven-day pause in fighting in return for the release of 40 more captives, "
                "according to two Egyptian officials who were briefed on the proposal.",
                "Hamas leaders said they would not discuss further releases until a ceasefire took effect. "
                "An estimated 130 captives are still held in Gaza, among them eight Americans.",
                "The health ministry in Gaza says more than 20,000 people have been killed since the war "
                "began. Aid agencies warn that the true figure is likely to be higher.",
                "Relatives of the captives have kept up nightly protests outside government offices in "
                "Jerusalem, demanding that ministers accept a new agreement.",
                "Diplomats expect the talks to resume on Thursday in Cairo, where intelligence chiefs from "
                "Qatar, Egypt and the United States are due to meet.",
            ],
        ),
        Story(
            slug="ferry-fares-vote",
            section="local",
            headline="Harbour council delays vote on ferry fare rise",
            byline="Tomas Reyes",
            published_ago=7,
            paragraphs=[
                "Harbour council postponed a vote on raising ferry fares after more than two hundred residents "
                "packed the chamber on Monday evening.",
                "The proposal would lift the adult single fare from 3.20 to 3.90 pounds from January, which the "
                "operator says is needed to replace two ageing boats.",
                "Islanders told councillors that the rise would fall hardest on pensioners and on pupils who "
                "cross to the mainland for school every day.",
                "The council leader said a revised plan would come back to the chamber within a month, once "
                "officers had looked at discounts for regular travellers.",
            ],
        ),
        Story(
            slug="storm-idris-floods",
            section="weather",
            headline="Storm Idris floods coastal road and cuts power to villages",
            byline="Ade Okafor",
            published_ago=9,
            paragraphs=[
                "Storm Idris brought gusts of more than 90 miles per hour to the west coast overnight, closing "
                "the coastal road and leaving several villages without electricity.",
                "The river at Millford rose to 4.2 metres by dawn, its highest level since records began, and "
                "residents of low-lying streets were told to move upstairs.",
                "Engineers restored power to most homes by mid-morning, but the network operator said the "
                "last properties might wait until the evening.",
                "Forecasters said the wind would ease through the afternoon, although more rain is expected "
                "on ground that is already saturated.",
            ],
        ),
        Story(
            slug="chipmaker-warning",
            section="business",
            headline="Shares slip after chipmaker cuts its sales forecast",
            byline="Priya Natarajan",
            published_ago=5,
            paragraphs=[
                "Stock markets in Europe fell on Tuesday morning after one of the largest chipmakers cut its "
                "sales forecast for the rest of the year.",
                "The company said orders from carmakers had slowed sharply, and its shares dropped 3 per cent "
                "in early trading before recovering some ground.",
                "Analysts said the warning reflected weaker demand for electric vehicles rather than problems "
                "at the company itself.",
                "Bond yields were little changed, and the pound edged higher against the dollar as traders "
                "waited for inflation figures due later in the week.",
            ],
        ),
        Story(
            slug="hospital-waiting-lists",
            section="health",
            headline="Waiting lists at the county hospital reach a record",
            byline="Helen Marsh",
            published_ago=6,
            paragraphs=[
                "Waiting lists for planned operations at the county hospital reached a record this autumn, "
                "according to figures released by the health board on Tuesday.",
                "Almost one in five patients waiting for hip or knee replacements has been on the list for "
                "more than a year, the board said.",
                "Managers blamed a shortage of anaesthetists and said two theatres had closed for repairs "
                "during the summer.",
                "Patient groups said the figures showed the need for a clear plan, and called on the board to "
                "publish monthly updates.",
            ],
        ),
        Story(
            slug="rovers-cup-run",
            section="sport",
            headline="Rovers stun league leaders to reach the cup quarter-finals",
            byline="Sam Whitlow",
            published_ago=7,
            paragraphs=[
                "Harbour Rovers reached the quarter-finals of the cup for the first time in a decade with a "
                "late winner against the league leaders on Monday night.",
                "The visitors had dominated possession, but Rovers defended deep and struck on the break in "
                "the final minutes of normal time.",
                "The manager said afterwards that the result belonged to the supporters, who had travelled in "
                "large numbers despite the weather.",
                "The draw for the next round takes place on Sunday, and the club has asked for extra trains "
                "to be laid on if it is drawn at home.",
            ],
        ),
        Story(
            slug="school-meals-trial",
            section="local",
            headline="Free school breakfasts trial extended to every primary",
            byline="Tomas Reyes",
            published_ago=8,
            paragraphs=[
                "A trial of free breakfasts in primary schools will be extended to every primary in the "
                "district from the spring term, the education committee agreed.",
                "Head teachers said attendance and punctuality had improved in the schools that took part in "
                "the first year of the scheme.",
                "The extension will be paid for from a national grant, and the committee will review the "
                "costs again before the next budget is set.",
            ],
        ),
        Story(
            slug="rail-strike-called-off",
            section="transport",
            headline="Rail strike called off after overnight talks",
            byline="Ade Okafor",
            published_ago=9,
            paragraphs=[
                "A strike that would have halted trains across the region on Thursday has been called off "
                "after talks between the union and the operator ran through the night.",
                "Union officials said they would put a new offer on pay and rosters to their members in a "
                "ballot over the coming fortnight.",
                "The operator apologised to passengers for the uncertainty and said all services would run "
                "to the normal timetable this week.",
            ],
        ),
        # Published while the demo runs: redline must discover them from the feed and sitemap.
        Story(
            slug="envoy-arrives-cairo",
            section="world",
            headline="Envoy arrives in Cairo to press for a new truce deal",
            byline="Mara Lindqvist",
            published_ago=2,
            live=False,
            paragraphs=[
                "A senior envoy arrived in Cairo on Tuesday afternoon for meetings with Egyptian and Qatari "
                "mediators, a day after the latest truce proposal was turned down.",
                "Officials travelling with the envoy said the aim was to narrow the gap over the sequence of "
                "a ceasefire and the release of captives.",
                "Egyptian state media reported that a delegation from Hamas was expected in the city later in "
                "the week, although no meeting had been confirmed.",
            ],
        ),
        Story(
            slug="ferry-operator-chief",
            section="local",
            headline="Ferry operator names a new chief executive",
            byline="Tomas Reyes",
            published_ago=0,
            live=False,
            paragraphs=[
                "The island ferry operator has appointed a former port manager as its chief executive, weeks "
                "before the council decides on next year's fares.",
                "She takes over in January and has promised to publish the company's plans for replacing its "
                "two oldest boats before the fare vote.",
                "Passenger groups welcomed the appointment and asked for a seat on the operator's board.",
            ],
        ),
    ]
