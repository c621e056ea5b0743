// Demo content that `npm start` seeds on a fresh install: two projects written as a real team would
// write them, so that a newcomer sees what the platform is for. Pure data, no database code: the seeder
// turns it into rows. Dates are relative (days/hours ago) so the demo always looks recent.
// All people, places and organisations here are fictional.

export type DemoRole = 'owner' | 'editor' | 'author' | 'contributor' | 'moderator';

export interface DemoPerson {
  handle: string;
  displayName: string;
  email: string;
  bio: string;
}

export interface DemoComment {
  /** Unique within the post, e.g. 'c1'. */
  key: string;
  /** Reply to another comment of the same post (max depth 3). */
  parentKey?: string;
  /** Commenter; the email is never shown publicly. */
  name: string;
  email: string;
  /** Set when the reply is from the project team (then name/email are that person's). */
  fromTeamHandle?: string;
  /** Plain text with a little Markdown (emphasis, links, lists); no headings or images. */
  body: string;
  status: 'approved' | 'pending';
  /** When it was written, relative to the post's publication. */
  hoursAfterPost: number;
}

export interface DemoPost {
  slug: string;
  title: string;
  summary: string;
  /** Markdown. */
  body: string;
  /** The first is the main author; all must be in the project team. */
  authorHandles: string[];
  /** Lowercase slugs like 'data-sharing'. */
  tags: string[];
  /** Relative to "now" at seed time. */
  publishedDaysAgo: number;
  commentsOpen: boolean;
  comments: DemoComment[];
}

export interface DemoPage {
  slug: string;
  title: string;
  /** Markdown. */
  body: string;
}

export interface DemoProject {
  slug: string;
  title: string;
  summary: string;
  /** Markdown, 1-3 paragraphs. */
  description: string;
  status: 'active' | 'closed';
  /** IANA time zone, e.g. 'Europe/London'. */
  timeZone: string;
  team: { handle: string; role: DemoRole }[];
  posts: DemoPost[];
  /** Includes the slugs 'about' and 'comment-policy'. */
  pages: DemoPage[];
}

/**
 * The demo accounts' password in tests and the browser journeys only (they pass it to seedDemo). A real
 * start never uses it: `npm start` generates a password per install and prints it once (server/main.ts).
 */
export const DEMO_PASSWORD = 'demo-taskforce-2026';

/** Opens and closes a fenced code block (a backtick fence is awkward inside template literals). */
const FENCE = '```';

// ---------------------------------------------------------------------------------------- people

export const demoPeople: DemoPerson[] = [
  {
    handle: 'amira-hassan',
    displayName: 'Amira Hassan',
    email: 'amira.hassan@example.gov',
    bio: 'Leads the Information Sharing Taskforce. Before this she ran benefits casework teams for eleven years, and still thinks every policy should be tried out at a front desk first.',
  },
  {
    handle: 'tom-okafor',
    displayName: 'Tom Okafor',
    email: 'tom.okafor@example.gov',
    bio: 'Data architect on loan to the taskforce from a national statistics office. Happiest when a spreadsheet has exactly one header row and a data dictionary to go with it.',
  },
  {
    handle: 'priya-raman',
    displayName: 'Priya Raman',
    email: 'priya.raman@example.gov',
    bio: 'User researcher. Priya spends most of her time with frontline staff and the people they help, and writes up what she hears so the rest of the team cannot ignore it.',
  },
  {
    handle: 'gareth-lloyd',
    displayName: 'Gareth Lloyd',
    email: 'gareth.lloyd@example.gov',
    bio: 'Chair of the independent review of Northbrook Community Health. A retired GP who spent 25 years in general practice in a neighbouring region.',
  },
  {
    handle: 'mei-lin-tan',
    displayName: 'Mei Lin Tan',
    email: 'mei-lin.tan@example.gov',
    bio: 'Research lead for the review. A health services researcher who specialises in waiting-time data and in what patients make of it.',
  },
  {
    handle: 'helen-mcbride',
    displayName: 'Helen McBride',
    email: 'helen.mcbride@example.gov',
    bio: "Ran the review's secretariat and moderated comments on this blog. Previously worked on complaints handling in a regional health department.",
  },
];

// ------------------------------------------------------------- project 1: the information taskforce

const taskforcePosts: DemoPost[] = [
  {
    slug: 'why-we-are-here',
    title: "Why we're here, and how we'll work",
    summary:
      'Introducing the Information Sharing Taskforce: what we have been asked to do, who we are, and why we are writing it all down in public.',
    authorHandles: ['amira-hassan'],
    tags: ['get-involved'],
    publishedDaysAgo: 138,
    commentsOpen: true,
    body: `Every week, somebody tells a public service something they have already told another one. A change of address. A diagnosis. A bereavement. Each time, they wait while we ask again, and sometimes they give up before we've finished asking.

The Information Sharing Taskforce was set up to find out why that still happens, and to fix what we can. We're a small team on loan from five departments and two councils, and we have twelve months.

## What we've been asked to do

Our terms of reference are short. We will:

1. find out where information sharing between public services already works, and why;
2. find out where it doesn't, and what actually gets in the way: law, technology, culture or habit;
3. build and test a few practical tools that remove the most common blockers;
4. make recommendations to ministers, and publish them in full.

We are not here to build a giant database, and we are not here to weaken anyone's privacy. Most of the sharing we care about is already lawful. It's just slow, inconsistent and hard to get right.

## How we'll work

We'll write here every fortnight: what we did, what we learned, what went wrong and what's next. Some of it will be unfinished. That's deliberate. If we only publish when we're sure, we'll publish too late for anyone to help.

You can read more [about the team and our remit](/info-sharing-taskforce/pages/about). Comments are welcome and are read by one of us before they appear; our [comment policy](/info-sharing-taskforce/pages/comment-policy) explains how that works.

## How to get involved

If you work on the front line of a public service and have a story about sharing information, good or bad, we'd like to hear it. Leave a comment, or write to the team at taskforce@example.gov.`,
    comments: [
      {
        key: 'c1',
        name: 'Daniel Price',
        email: 'daniel.price@example.com',
        body: 'Really glad to see this. I manage a team of benefits advisers and the time we spend chasing information that another office already holds is hard to believe. Will you be talking to people in the voluntary sector too? A lot of the chasing happens through us.',
        status: 'approved',
        hoursAfterPost: 5,
      },
      {
        key: 'c2',
        parentKey: 'c1',
        name: 'Amira Hassan',
        email: 'amira.hassan@example.gov',
        fromTeamHandle: 'amira-hassan',
        body: "Thanks Daniel. Yes, although I'll be honest: it's the part of the work we're least sure we'll have time to do properly. If you'd be willing to talk to Priya, our user researcher, please email taskforce@example.gov and mention this comment.",
        status: 'approved',
        hoursAfterPost: 9,
      },
      {
        key: 'c3',
        parentKey: 'c2',
        name: 'Daniel Price',
        email: 'daniel.price@example.com',
        body: "Will do. I'll also ask a couple of colleagues at our local advice centre. They have *plenty* of examples.",
        status: 'approved',
        hoursAfterPost: 13,
      },
      {
        key: 'c4',
        name: 'Sinéad Walsh',
        email: 'sinead.walsh@example.org',
        body: "Please make sure whatever you build works for people who **don't** want their information shared. Not everyone wants every service to know everything, and for some people, for example those leaving an abusive relationship, it can be dangerous.",
        status: 'approved',
        hoursAfterPost: 26,
      },
      {
        key: 'c5',
        parentKey: 'c4',
        name: 'Amira Hassan',
        email: 'amira.hassan@example.gov',
        fromTeamHandle: 'amira-hassan',
        body: "Thank you, Sinéad. This is one of the most important points anyone could make, and it's written into our [terms of reference](/info-sharing-taskforce/pages/about): sharing has to be fair to the person, not just lawful. We'll come back to it when we test the request form.",
        status: 'approved',
        hoursAfterPost: 31,
      },
    ],
  },
  {
    slug: 'mapping-the-sharing-we-already-do',
    title: 'Mapping the sharing we already do',
    summary:
      'We counted the information-sharing agreements held by five organisations. There were more than we expected, and fewer that anyone could explain.',
    authorHandles: ['tom-okafor'],
    tags: ['data-sharing', 'weeknotes'],
    publishedDaysAgo: 124,
    commentsOpen: true,
    body: `Before we change anything, we wanted to know what already exists. This fortnight we asked five partner organisations for every information-sharing agreement they hold, and we read all of them.

We've anonymised the organisations for now. They have agreed to be named once they've checked our figures.

## What we found

| Organisation | Agreements found | Still in use | With a named owner |
|---|---:|---:|---:|
| Department A | 41 | 29 | 18 |
| Department B | 27 | 22 | 20 |
| Council C | 63 | 35 | 9 |
| Council D | 38 | 30 | 26 |
| Health board E | 52 | 44 | 31 |
| **Total** | **221** | **160** | **104** |

A few things stood out.

- **More than a quarter of agreements were no longer in use**, but nobody had ended them. Some referred to systems that were switched off years ago.
- **Fewer than half had a named owner** who could tell us what the agreement was for.
- **The same sharing was often agreed several times.** We found seven separate agreements covering the same flow of address changes between two organisations.

### Why this matters

An agreement nobody owns is an agreement nobody reviews. And when staff can't find the right agreement, they do one of two things: they share anyway and hope, or they don't share at all. Both are bad for the people we serve.

## What's next

We're turning this into a simple register, one row per agreement, so each organisation can see what it has signed up to. We'll share the format here once it's stable enough to argue about.

Thanks to the information governance teams who dug through shared drives and filing cabinets for us. You know who you are.`,
    comments: [],
  },
  {
    slug: 'what-frontline-staff-told-us',
    title: 'What frontline staff told us about sharing information',
    summary:
      'Fourteen interviews with caseworkers, housing officers and nurses. The law was rarely the problem. Confidence was.',
    authorHandles: ['priya-raman'],
    tags: ['user-research'],
    publishedDaysAgo: 110,
    commentsOpen: true,
    body: `Over the last three weeks I interviewed fourteen people who share information as part of their daily work: caseworkers, housing officers, school attendance officers, district nurses and a fraud investigator. Each session lasted about an hour. I asked them to walk me through the last time they needed information from another organisation.

## The law was rarely the problem

Almost every example they gave was something the law already allows. What stopped them was not knowing that, or not being able to show it quickly.

> I know I'm probably allowed to ask. But if I get it wrong, it's my name on it. So I send an email to our data protection team and wait two weeks.
>
> (a housing officer)

## Three patterns

### People ask a person, not a process

Staff relied on knowing someone at the other organisation. When that person left, the sharing stopped.

### Forms ask for the wrong things

The request forms we saw asked for the legal basis in free text. Most staff copied whatever the last person had written.

### Nobody hears back

Several people had shared information and never found out whether it helped. That made them less likely to bother next time.

## What we're doing with this

We're using these findings to design a short request form that asks plain questions and works out the legal basis from the answers, rather than the other way round. We'll test the first version with some of the same people.

If you'd like to take part in the next round, say so in the comments or email taskforce@example.gov. We're especially keen to talk to people in smaller organisations and the voluntary sector.`,
    comments: [
      {
        key: 'c1',
        name: 'Jo Harrington',
        email: 'jo.harrington@example.com',
        body: 'The quote from the housing officer could have been me. Our data protection team are lovely, but there are three of them for 2,000 staff. Two weeks is optimistic.',
        status: 'approved',
        hoursAfterPost: 20,
      },
      {
        key: 'c2',
        parentKey: 'c1',
        name: 'Kwame Mensah',
        email: 'kwame.mensah@example.org',
        body: "Same here. What would help most is a short list of *you can always share this, for this reason* examples. Nine times out of ten the answer is yes, but nobody wants to be the one who guessed.",
        status: 'approved',
        hoursAfterPost: 31,
      },
      {
        key: 'c3',
        parentKey: 'c2',
        name: 'Priya Raman',
        email: 'priya.raman@example.gov',
        fromTeamHandle: 'priya-raman',
        body: "That's a really useful suggestion, thank you both. A list of common, clearly lawful examples is now on our backlog, and we'll test it alongside the request form.",
        status: 'approved',
        hoursAfterPost: 50,
      },
      {
        key: 'c4',
        name: 'Elena Rossi',
        email: 'elena.rossi@example.com',
        body: "Interesting that *nobody hears back* came up. In schools we almost never find out what happened after we raised a concern. Even a one-line \"thanks, this helped\" would change how people behave.",
        status: 'approved',
        hoursAfterPost: 70,
      },
    ],
  },
  {
    slug: 'legal-gateways-in-plain-english',
    title: 'Legal gateways, in plain English',
    summary:
      'A first attempt at explaining when public services can share information, without the jargon. Tell us where it is wrong or unclear.',
    authorHandles: ['amira-hassan', 'tom-okafor'],
    tags: ['legal-gateways'],
    publishedDaysAgo: 96,
    commentsOpen: true,
    body: `A "legal gateway" is the law that lets one organisation give information to another. People talk about gateways as if they were rare and mysterious. Mostly they're neither.

This is our first go at a plain-English explainer. It is **not legal advice**, and our lawyers have asked us to say so in bold. It's a starting point for a guide we'll test with staff, building on [what frontline staff told us](/info-sharing-taskforce/posts/what-frontline-staff-told-us).

## The questions that matter

Before sharing, you need to be able to answer four questions:

1. **What are you sharing?** Be specific: "date of birth and current address", not "the file".
2. **Why?** What will the other organisation do with it that helps the person or the public?
3. **What law allows it?** This is the gateway. There's usually one, sometimes several.
4. **Is it fair and proportionate?** Would the person be surprised? Could you share less?

### Where gateways come from

- **Specific powers** in the law that sets up a service, for example a power to share information to prevent fraud.
- **General powers** that let public bodies share information to carry out their functions.
- **Consent**, which is less useful than people think, because it has to be freely given and can be withdrawn at any time.

### What a gateway doesn't do

A gateway says you *may* share. It doesn't say you *must*, and it doesn't switch off data protection law. You still need to keep the information secure, accurate and no longer than necessary.

## Tell us what's wrong

We'd rather be corrected now than after we've printed the guide. The [statutory code of practice on data sharing](https://www.example.gov/guidance/data-sharing-code) goes into far more detail, and the final version of our guide will link to the relevant sections of it.`,
    comments: [],
  },
  {
    slug: 'one-template-instead-of-seven',
    title: 'Sprint notes: one template instead of seven',
    summary:
      'Why we are drafting a single data-sharing agreement template, and the three things we argued about this fortnight.',
    authorHandles: ['tom-okafor'],
    tags: ['weeknotes', 'standards'],
    publishedDaysAgo: 82,
    commentsOpen: true,
    body: `This fortnight we took the 160 live agreements from our [mapping work](/info-sharing-taskforce/posts/mapping-the-sharing-we-already-do) and pulled out every clause they have in common. Most of them say the same things in different words, and about a fifth say things that contradict each other.

## What we did

- Grouped every clause into one of 23 themes, from "purpose" to "what happens at the end".
- Drafted a single template covering the 17 themes that almost every agreement needs.
- Ran two workshops with information governance leads from partner organisations to pull it apart.

## What we argued about

### How long should it be?

The shortest agreement we found was one page. The longest was 46. Our draft is four pages plus a one-page summary, and both workshops thought four was still too long. We're trying to get the main body down to two.

### Should the template include the legal basis?

We think yes, chosen from a fixed list rather than written in free text, because people copy free text from the last agreement they saw.

### Who signs?

Some organisations want a director to sign every agreement. Others delegate to team managers. We haven't settled this, and we suspect the answer is "it depends on the risk". We'll propose a simple rule and see who objects.

## What we learned

A template alone won't fix anything. The agreements that worked best had a named owner and a review date, and somebody actually did the review. So the template now starts with those two fields, before anything else.

## Next fortnight

- A second draft, aiming for two pages.
- A machine-readable version of the key fields, so that agreements can go into a register.
- A conversation with the legal team about the sign-off rule.`,
    comments: [],
  },
  {
    slug: 'a-draft-schema-for-sharing-requests',
    title: 'A draft schema for sharing requests',
    summary:
      'The first version of a small, open data format for recording a request to share information: who asked, what for, and on what basis.',
    authorHandles: ['tom-okafor', 'priya-raman'],
    tags: ['standards', 'data-sharing'],
    publishedDaysAgo: 68,
    commentsOpen: true,
    body: `When one organisation asks another for information, the request is usually an email. That makes it hard to answer quickly, hard to audit and impossible to count. We think a request should be a small, structured record instead, and that the format should be open so that any case management system can produce it.

Here's our first draft. It's deliberately small.

${FENCE}yaml
# Sharing request, draft 0.1
request_id: REQ-000042
requested_by:
  organisation: Council D
  team: Housing options
requested_from:
  organisation: Department B
purpose: Confirm a current address so a housing application is not closed
data_items:
  - full_name
  - date_of_birth
  - current_address
legal_basis: general-power-to-share   # chosen from a fixed list
person_informed: true
response_within_days: 5
${FENCE}

## Why these fields

- **purpose** is free text, but the form asks for it in one sentence. If you can't say why in one sentence, you probably shouldn't be asking.
- **data_items** come from a controlled list, so we can count which items are requested most.
- **legal_basis** is also from a fixed list. The form works it out from the answers to a few plain questions, as described in [legal gateways, in plain English](/info-sharing-taskforce/posts/legal-gateways-in-plain-english).
- **person_informed** records whether the person knows the request is being made. It isn't always appropriate to tell them, but it should always be a conscious decision.

## What's deliberately missing

There's no field for the information itself. The request and the response are separate records, so requests can be shown to auditors without showing anyone's personal details.

## Tell us what's wrong

We'd especially like to hear from people who build or run case management systems. What would stop you producing this? What's missing? We'll publish the next version alongside a [JSON Schema](https://json-schema.org/) so that records can be checked automatically.`,
    comments: [
      {
        key: 'c1',
        name: 'Ben Adeyemi',
        email: 'ben.adeyemi@example.com',
        body: 'I work on a case management system used by several councils. Producing this would be straightforward for us. Two questions:\n\n1. Will `data_items` be versioned? Lists like that tend to grow.\n2. Is `response_within_days` calendar days or working days?',
        status: 'approved',
        hoursAfterPost: 18,
      },
      {
        key: 'c2',
        parentKey: 'c1',
        name: 'Tom Okafor',
        email: 'tom.okafor@example.gov',
        fromTeamHandle: 'tom-okafor',
        body: "Thanks Ben, both good questions.\n\n1. Yes. The list will have a version number, and we'll only ever add items, never rename them.\n2. Working days. We'll make that explicit in the next draft, probably by renaming the field.",
        status: 'approved',
        hoursAfterPost: 27,
      },
      {
        key: 'c3',
        parentKey: 'c2',
        name: 'Ben Adeyemi',
        email: 'ben.adeyemi@example.com',
        body: "Great, that makes it much easier for us. Happy to test a draft against our system when it's ready.",
        status: 'approved',
        hoursAfterPost: 30,
      },
      {
        key: 'c4',
        name: 'Hannah Schofield',
        email: 'hannah.schofield@example.org',
        body: 'Glad to see `person_informed` in there. Could it have a third value for when telling the person would put them or someone else at risk? *Not informed* and *deliberately not informed* are quite different things.',
        status: 'approved',
        hoursAfterPost: 46,
      },
    ],
  },
  {
    slug: 'we-are-recruiting-a-user-researcher',
    title: "We're recruiting a second user researcher",
    summary:
      'A six-month secondment for a user researcher to help us test the request form and the register with frontline teams.',
    authorHandles: ['amira-hassan'],
    tags: ['get-involved'],
    publishedDaysAgo: 54,
    commentsOpen: false,
    body: `Our research has been the most useful thing we've done so far, and there's more of it than Priya can do alone. We're looking for a second user researcher to join the taskforce on a six-month secondment.

## The role

You'll work with Priya to plan and run research with frontline staff and the people they help. In practice that means:

- interviewing caseworkers, housing officers, nurses and others about how they share information;
- testing early versions of our request form and register, often on paper first;
- writing up what you find, including here on this blog;
- making sure that people who are rarely asked, such as staff in small charities, do get asked.

### You'll need

- experience of planning and running qualitative research;
- to be comfortable talking to people about difficult situations;
- to be a current public servant who can join on secondment (your organisation keeps paying you, and we reimburse it).

### You don't need

- a background in data protection or law. We have people for that;
- to live near any particular office. We work remotely most of the time and meet in person once a fortnight.

## How to apply

Send a CV and a short note, no more than 500 words, about a piece of research that changed someone's mind, to taskforce@example.gov. The closing date is three weeks from today. We're happy to have an informal video call with anyone who wants to talk it through first.

Comments are closed on this post so that questions about the role all go to one place: please email us instead. You can read more [about the team](/info-sharing-taskforce/pages/about) or [meet us](/info-sharing-taskforce/team).`,
    comments: [],
  },
  {
    slug: 'testing-the-request-form',
    title: 'Testing the request form with three councils',
    summary:
      'We put a paper prototype of the new request form in front of 19 people. Here is what they got stuck on, and what we changed.',
    authorHandles: ['priya-raman', 'tom-okafor'],
    tags: ['user-research', 'weeknotes'],
    publishedDaysAgo: 40,
    commentsOpen: true,
    body: `This fortnight we tested the first version of the sharing request form with 19 people across three councils. We used paper prototypes on purpose: people are more willing to scribble on paper than to criticise something that looks finished.

## How we ran it

Each person got a realistic scenario, for example a family at risk of losing their tenancy because a benefit payment had stopped. We asked them to fill in the form as if the situation were real, and to think aloud while they did it.

## What we found

1. **The first question was the hardest.** "What is the purpose of this request?" made people freeze. When we changed it to "What are you trying to do for this person?", everyone could answer it.
2. **People didn't trust the legal basis the form suggested.** Twelve of the 19 wanted to see *why* the form had picked it. We've added a one-line explanation and a link to the guidance.
3. **Data items were too granular.** Nobody wanted to tick "house number", "street" and "postcode" separately. We've grouped them.
4. **Nobody knew what "person informed" meant.** We've rewritten it as a question: "Does the person know you're asking?"
5. **Everyone asked what happens next.** So the form now ends with a short explanation of when they'll hear back.

## What changed our minds

We had assumed that managers would want to approve every request. The managers we spoke to didn't. They wanted a weekly summary, and to be told about anything unusual. That's simpler to build, and it respects people's judgement.

## Next

We're building a clickable version and will test it with the same councils, plus two voluntary sector organisations, in the next sprint. Thank you to everyone who took part and put up with our clipboards.`,
    comments: [],
  },
  {
    slug: 'our-plan-to-the-end-of-the-taskforce',
    title: 'Where we are, and the plan to the end of the taskforce',
    summary:
      'A one-picture view of what we have done, what we are doing now, and what happens between now and our final recommendations.',
    authorHandles: ['amira-hassan'],
    tags: ['weeknotes', 'get-involved'],
    publishedDaysAgo: 26,
    commentsOpen: true,
    body: `We're nearly five months into a twelve-month taskforce, which feels like a good moment to step back and show the whole plan in one picture.

![Timeline of the taskforce's twelve months: discovery in months 1 to 2 (done), agreement template and register in months 3 to 5 (in progress), request form pilot in months 6 to 8, evaluation in months 9 to 10 and recommendations in months 11 to 12. A marker shows we are late in month 5.](/static/demo/timeline.svg)

## Where we are

Discovery is done. We've mapped 221 agreements, interviewed frontline staff, and published a plain-English explainer on legal gateways. The common agreement template is on its third draft, and the first entries are going into the register.

## What happens next

| Months | Work | What you'll see here |
|---|---|---|
| 6 to 8 | Pilot the request form in three councils | Fortnightly notes, including what went wrong |
| 9 to 10 | Evaluate the pilot with the councils and an independent reviewer | The evaluation method, before we start |
| 11 to 12 | Write and publish recommendations | A draft for comment, then the final version |

### What we won't get to

We'd hoped to look at sharing with the voluntary sector in depth. We won't have time to do it properly, so we'll recommend it as a piece of work in its own right rather than do it badly.

## How you can help

- If your organisation would like to join the pilot, get in touch before the end of the month.
- If you have evidence about what happens when sharing goes wrong, particularly from the person's point of view, we'd like to see it.
- If you think we've got the plan wrong, say so in the comments.

The latest on our remit is always on the [about page](/info-sharing-taskforce/pages/about).`,
    comments: [],
  },
  {
    slug: 'the-register-of-agreements-a-first-sample',
    title: 'The register of sharing agreements: a first sample',
    summary:
      'We have agreed a simple format for recording data-sharing agreements. Here is a sample of the CSV, and the choices behind each column.',
    authorHandles: ['tom-okafor'],
    tags: ['data-sharing', 'standards'],
    publishedDaysAgo: 12,
    commentsOpen: true,
    body: `Three organisations have now put their agreements into the register format we've been working on. Before more join, we want to show you what a register looks like and ask whether the columns make sense.

## A sample

These rows are made up, but the shape is real.

${FENCE}csv
agreement_id,title,parties,purpose,legal_basis,owner_role,review_every_months,status
ISA-0001,Change of address notifications,Council D;Department B,Keep contact details current,general-power-to-share,Head of Revenues,12,active
ISA-0002,School attendance and housing,Council C;Council D,Support families at risk of eviction,specific-statutory-power,Education Welfare Manager,6,under-review
ISA-0003,Hospital discharge notifications,Health board E;Council C,Arrange care before discharge,specific-statutory-power,Discharge Team Lead,12,active
${FENCE}

## Choices we made

- **One row per agreement**, not one per flow of data. A register people can read beats a perfect model nobody maintains.
- **The owner is a role, not a name.** People move on; roles usually don't. Each organisation keeps its own list of who holds each role.
- **Parties are separated by semicolons**, because organisation names often contain commas. It's an ugly compromise, and we may move to a separate parties file.
- **The file follows [RFC 4180](https://www.rfc-editor.org/rfc/rfc4180)**, so it opens cleanly in a spreadsheet as well as in code.

## What we're not publishing

The register describes agreements, not the people whose information is shared. There's no personal data in it, which is why we think most of it can be published openly. Where an agreement covers something sensitive, such as fraud investigations, the title may be made more general.

## Questions for you

1. Is \`status\` enough, or do you need to know *why* an agreement is under review?
2. Would a separate parties file make your life easier or harder?
3. What would you do with a published register, if anything?

Answers in the comments, please.`,
    comments: [
      {
        key: 'c1',
        name: 'Oliver Grant',
        email: 'oliver.grant@example.com',
        body: 'On question 3: I would use a published register to check what my council shares about me, and why. At the moment the only way to find out is a subject access request.',
        status: 'approved',
        hoursAfterPost: 8,
      },
      {
        key: 'c2',
        parentKey: 'c1',
        name: 'Fatima Noor',
        email: 'fatima.noor@example.org',
        body: 'Same. And please publish it as a readable web page *as well as* CSV. Not everyone opens CSV files.',
        status: 'approved',
        hoursAfterPost: 15,
      },
    ],
  },
  {
    slug: 'weeknotes-the-pilot-begins',
    title: 'Weeknotes: the pilot begins',
    summary:
      'The first week of the request form pilot in three councils: what went live, one thing that broke, and what we are watching.',
    authorHandles: ['priya-raman', 'amira-hassan'],
    tags: ['weeknotes'],
    publishedDaysAgo: 2,
    commentsOpen: true,
    body: `On Monday the new sharing request form went live in three councils. This is the start of the pilot described in [our plan](/info-sharing-taskforce/posts/our-plan-to-the-end-of-the-taskforce), and the first time the form has been used for real requests rather than scenarios.

## What went live

- The clickable form, hosted by each council's case management supplier.
- A shared inbox at each partner organisation for incoming requests.
- A weekly summary for managers, as they asked for in testing.

## What broke

On day two, one council's email filter quarantined every request as suspicious, because the messages contained a structured attachment it didn't recognise. Nine requests sat unread for a day. Nobody was harmed, but it's exactly the kind of silent failure that makes staff stop trusting a process. The filter rule is fixed, and we've added a check that flags any request without a reply after 24 hours.

## Numbers so far

| Council | Requests made | Answered | Median time to answer |
|---|---:|---:|---|
| Council C | 14 | 12 | 6 hours |
| Council D | 9 | 9 | 3 hours |
| Council F | 4 | 2 | 2 days |

It's far too early to read much into this. Council F joined late and is still setting up its inbox.

## What we're watching

1. Whether people use the free-text purpose field well, or fall back on stock phrases.
2. How often the suggested legal basis is overridden, and why.
3. Whether anyone gets stuck and emails instead, which is the real test of whether the form is easier.

## Next week

Priya is spending two days with the housing team at Council C. If you're part of the pilot and want to tell us something, the comments are open, or email taskforce@example.gov.`,
    comments: [
      {
        key: 'c1',
        name: 'Leah Cartwright',
        email: 'leah.cartwright@example.com',
        body: "I'm one of the housing officers at Council C using the form. It's already quicker than email, and I like being able to see when a request has been read.",
        status: 'approved',
        hoursAfterPost: 14,
      },
      {
        key: 'c2',
        name: 'Greg Sutton',
        email: 'greg.sutton@example.com',
        body: 'Will the pilot figures be published each week, or only at the end? (PENDING-DEMO-COMMENT: this demo comment is waiting for moderation and must not appear on the public site until a moderator approves it.)',
        status: 'pending',
        hoursAfterPost: 20,
      },
    ],
  },
];

const taskforcePages: DemoPage[] = [
  {
    slug: 'about',
    title: 'About the taskforce',
    body: `## What the taskforce is

The Information Sharing Taskforce is a twelve-month, cross-government team. We were set up to find out why public services still find it hard to share the information people have already given them, to fix what we can, and to recommend what should happen next.

## What we're doing

1. Mapping the information-sharing agreements that already exist.
2. Replacing many different agreements with one common template and a register that can be published.
3. Designing and piloting a simple, structured request form with frontline teams.
4. Publishing our recommendations to ministers, in full, at the end of the taskforce.

## Who we are

- **Amira Hassan**, taskforce lead
- **Tom Okafor**, data architect
- **Priya Raman**, user researcher

We also work with legal, information governance and policy colleagues in our five partner departments and two councils. You can [meet the team](/info-sharing-taskforce/team).

## What we won't do

We won't build a central database of people's information, and we won't recommend weakening data protection law. Our focus is on making lawful sharing quicker, more consistent and easier to get right, and fair to the people whose information it is.

## Contact us

Email taskforce@example.gov. We read everything, and we try to reply within five working days. Comments on this blog are moderated: see our [comment policy](/info-sharing-taskforce/pages/comment-policy).`,
  },
  {
    slug: 'comment-policy',
    title: 'Comment policy',
    body: `We want the comments on this blog to be useful to everyone who reads them, including the people whose work and lives it's about. Criticism is welcome: disagreeing with us is never a reason for a comment not to be published.

## How moderation works

This blog is **pre-moderated**: every comment is read by a member of the team before it's published, so it won't appear straight away. We usually review comments within two working days. We don't edit comments. We either publish a comment as it was written, or we don't publish it.

You need to give a name and an email address. We show your name with your comment. We never publish your email address, and we only use it if we need to contact you about your comment.

## Why a comment might not be published

We won't publish a comment if it is:

- **Off-topic**: not about the post or the work of the taskforce.
- **Abusive**: it attacks, threatens or harasses anyone, or uses discriminatory language.
- **Personal information**: it includes details that could identify you or someone else, such as a case reference, an address or someone's health. If you want to tell us about your own case, please email us instead.
- **Spam**: it advertises something, or was posted automatically.
- **Duplicate**: it repeats a comment that has already been posted.
- **Other**: any other reason, for example because publishing it could break the law. We'll say why if we can.

## If you disagree with a decision

Email taskforce@example.gov and tell us which comment it was. Someone who didn't make the original decision will look at it again.`,
  },
];

// ------------------------------------------------------------ project 2: the community health review

const reviewPosts: DemoPost[] = [
  {
    slug: 'starting-the-review',
    title: "Starting the review: what we've been asked to do",
    summary:
      'The independent review of Northbrook Community Health starts this week. Here are our terms of reference, how we will work and how you can take part.',
    authorHandles: ['gareth-lloyd'],
    tags: ['updates'],
    publishedDaysAgo: 150,
    commentsOpen: true,
    body: `This week the independent review of Northbrook Community Health begins. I've been asked to chair it, and I want to start by being clear about what the review is, and what it isn't.

## Why there is a review

Northbrook Community Health provides district nursing, physiotherapy, podiatry, community mental health and child health services to about 180,000 people. Over the past two years, complaints about waiting times and missed appointments have more than doubled. The regional health department has asked for an independent look at why, and at what should change.

## Our terms of reference

We have been asked to:

1. describe how the service is used today, and by whom;
2. examine waiting times, missed appointments and complaints, and what lies behind them;
3. hear directly from patients, carers, staff and partner organisations;
4. compare the service with similar services elsewhere;
5. make practical recommendations, and publish them in full.

We are **not** an investigation into individual cases or individual staff. If you have a complaint about your own care, the service's complaints team can still help, and this review does not replace that route.

## How we'll work

The review team is small: me, our research lead Mei Lin Tan, and a secretariat led by Helen McBride. We're independent of the service and of the department, and we'll publish what we find here as we go, not only at the end.

You can read more [about the review](/community-health-review/pages/about). Comments on this blog are welcome. Each one is read by a person before it appears, for the reasons set out in our [comment policy](/community-health-review/pages/comment-policy).

The review will run for about five months. We'll write again in a fortnight with more on how we'll gather evidence.`,
    comments: [
      {
        key: 'c1',
        name: 'Margaret Flynn',
        email: 'margaret.flynn@example.com',
        body: "My husband waited nine months for physiotherapy after his hip operation, and by the time he was seen he'd lost most of the movement he had got back. I hope this review leads to real change and isn't just another report on a shelf.",
        status: 'approved',
        hoursAfterPost: 6,
      },
      {
        key: 'c2',
        parentKey: 'c1',
        name: 'Gareth Lloyd',
        email: 'gareth.lloyd@example.gov',
        fromTeamHandle: 'gareth-lloyd',
        body: "Thank you, Mrs Flynn, and I'm sorry for what your husband went through. Experiences like his are exactly why the review exists. When our survey opens in a few weeks I hope you'll both consider filling it in: it will ask what happened while people were waiting.",
        status: 'approved',
        hoursAfterPost: 22,
      },
      {
        key: 'c3',
        parentKey: 'c2',
        name: 'Margaret Flynn',
        email: 'margaret.flynn@example.com',
        body: 'We will. Thank you for replying. It makes a difference to know someone is reading.',
        status: 'approved',
        hoursAfterPost: 30,
      },
      {
        key: 'c4',
        name: 'Dev Patel',
        email: 'dev.patel@example.org',
        body: 'Will the review look at how referrals are made in the first place? In our practice we often cannot tell whether a referral has even been received.',
        status: 'approved',
        hoursAfterPost: 40,
      },
    ],
  },
  {
    slug: 'how-we-will-gather-evidence',
    title: "How we'll gather evidence",
    summary:
      'Surveys, listening sessions, service data, staff interviews and comparisons: the five sources of evidence the review will use, and how we will keep them honest.',
    authorHandles: ['mei-lin-tan'],
    tags: ['methods'],
    publishedDaysAgo: 136,
    commentsOpen: true,
    body: `A review is only as good as its evidence. This post sets out where ours will come from, so that you can hold us to it.

## Five sources

| Source | What it tells us | Who | When |
|---|---|---|---|
| Public survey | How people experience the service | Anyone who has used it, or cares for someone who has | Weeks 3 to 8 |
| Listening sessions | Stories and context a survey can't capture | Patients, carers and community groups | Weeks 4 to 10 |
| Service data | Waiting times, missed appointments, referrals | The service's own records, anonymised | Weeks 2 to 12 |
| Staff interviews | What gets in the way of good care | Clinical and administrative staff | Weeks 5 to 12 |
| Comparison | What similar services do differently | Three comparable services | Weeks 8 to 14 |

## Keeping it honest

### We'll look for what contradicts us

Every review forms a view early on. We'll write ours down at each stage and deliberately look for evidence that it's wrong.

### We'll say who we didn't hear from

Surveys reach some people more easily than others. We'll publish who responded, and we'll go out to groups who are under-represented rather than just noting the gap.

### Staff can speak in confidence

Staff interviews are confidential. We won't attribute anything to an individual, and the service won't see who took part.

## A note on data

The service's data will be shared with us in anonymised form under a data-sharing agreement, and held securely by the review team. Nobody outside the team will see record-level data. We'll publish summary figures only, with small numbers suppressed so that no one can be identified.

If you run a community group and would like us to come and listen, please get in touch with Helen at review@example.gov.`,
    comments: [],
  },
  {
    slug: 'have-your-say-survey-open',
    title: 'Have your say: our survey is open',
    summary:
      'If you have used Northbrook Community Health, or care for someone who has, we would like to hear from you. The survey takes about ten minutes.',
    authorHandles: ['gareth-lloyd', 'mei-lin-tan'],
    tags: ['have-your-say'],
    publishedDaysAgo: 115,
    commentsOpen: true,
    body: `Our survey is now open, and will stay open for six weeks. It's the main way for anyone who has used Northbrook Community Health to tell the review what it's like.

## Who should take part

- Anyone who has used the service in the last three years, for any reason.
- Parents and carers, on behalf of the person they care for.
- People who were referred to the service but never seen. We especially want to hear from you.

## How to take part

- **Online:** [complete the survey](https://www.example.org/northbrook-review/survey). It takes about ten minutes.
- **On paper:** pick up a copy, with a freepost envelope, at any Northbrook clinic or library.
- **By phone:** call the review team on 0808 157 0192, weekdays from 9am to 5pm, and we'll fill it in with you.
- **In another language or format:** tell us what you need and we'll arrange it.

## What we'll ask

The survey asks:

1. which parts of the service you used;
2. how long you waited, and what happened while you waited;
3. whether appointments happened when and where you expected;
4. whether you felt listened to;
5. what one thing you would change.

Every question is optional. You don't need to give your name, and nothing you tell us will be passed to the service in a way that identifies you.

## What happens to your answers

The review team will analyse the answers and publish a summary here once the survey closes. Your words may be quoted in the final report, but never with your name or anything that could identify you.

Thank you. Filling in a survey about a service that has let you down can feel like shouting into the wind. It isn't: this one will be read.`,
    comments: [
      {
        key: 'c1',
        name: 'Anne Kowalski',
        email: 'anne.kowalski@example.com',
        body: 'Is there a large-print version of the paper survey? My mother has macular degeneration and would like to fill it in herself.',
        status: 'approved',
        hoursAfterPost: 3,
      },
      {
        key: 'c2',
        parentKey: 'c1',
        name: 'Helen McBride',
        email: 'helen.mcbride@example.gov',
        fromTeamHandle: 'helen-mcbride',
        body: "Yes, and thank you for asking. Please call 0808 157 0192 or email review@example.gov and we'll post a large-print copy with a freepost envelope. We can also go through it over the phone if that's easier.",
        status: 'approved',
        hoursAfterPost: 7,
      },
      {
        key: 'c3',
        name: 'Tomás Rivera',
        email: 'tomas.rivera@example.org',
        body: 'Just done it online. It took about twelve minutes. The question about what happened while I was waiting was the first time anyone has asked me that.',
        status: 'approved',
        hoursAfterPost: 28,
      },
      {
        key: 'c4',
        parentKey: 'c3',
        name: 'Chloe Barnes',
        email: 'chloe.barnes@example.com',
        body: 'Same for me. One suggestion: a question for people who were referred and then discharged *without ever being seen*. That was my experience.',
        status: 'approved',
        hoursAfterPost: 52,
      },
      {
        key: 'c5',
        parentKey: 'c4',
        name: 'Mei Lin Tan',
        email: 'mei-lin.tan@example.gov',
        fromTeamHandle: 'mei-lin-tan',
        body: "Thanks, Chloe. The last question is free text and we'll read every answer, so please do tell us there. We're also asking the service for data on people discharged without being seen.",
        status: 'approved',
        hoursAfterPost: 60,
      },
    ],
  },
  {
    slug: 'what-we-heard-at-the-listening-sessions',
    title: 'What we heard at the listening sessions',
    summary:
      'Eleven listening sessions and 154 people. Some of what they told us we expected. Some of it we did not.',
    authorHandles: ['mei-lin-tan'],
    tags: ['have-your-say', 'findings'],
    publishedDaysAgo: 94,
    commentsOpen: true,
    body: `Over the past five weeks we held eleven listening sessions: in community centres, a mosque, two schools, a men's shed and a carers' group. 154 people came. These are early impressions, not findings; we'll test them against the survey and the service's data.

## What we expected

We expected to hear about waiting times, and we did. Almost every session came back to how long people had waited for a first appointment, especially for physiotherapy and for child development assessments.

## What we didn't expect

### The waiting wasn't the worst part

For many people the hardest thing was not knowing: not knowing where they were on a list, or whether they were on a list at all.

> I'd have waited six months quite happily if someone had told me it would be six months. What I couldn't bear was ringing every fortnight and being told "soon".

### Cancellations hurt more than delays

Several people described appointments cancelled at short notice, sometimes after they had arranged time off work or childcare. A carer told us:

> We got there and the clinic was shut. There was a note on the door. That was the day I stopped trusting them.

### Staff were praised, the system wasn't

People were overwhelmingly warm about the nurses and therapists who treated them. Their frustration was with everything around the appointment: letters, phone lines and booking.

## What we're doing next

- Comparing these themes with the survey responses, which close next week.
- Asking the service for data on cancellations, which we hadn't originally requested.
- Holding two more sessions for people who don't speak English as a first language, where attendance so far has been low.

Thank you to everyone who came, and to the hosts who gave us rooms and, in one case, an excellent lemon cake.`,
    comments: [
      {
        key: 'c1',
        name: 'Yusuf Ali',
        email: 'yusuf.ali@example.org',
        body: 'Thank you for coming to our centre. People were nervous beforehand, but afterwards several said it was the first time they had felt listened to about this.',
        status: 'approved',
        hoursAfterPost: 10,
      },
      {
        key: 'c2',
        name: 'Karen Doyle',
        email: 'karen.doyle@example.com',
        body: 'The point about *not knowing* is spot on. I could cope with the wait. I could not cope with the silence.',
        status: 'approved',
        hoursAfterPost: 27,
      },
    ],
  },
  {
    slug: 'survey-results-at-a-glance',
    title: 'Survey results at a glance',
    summary:
      '1,094 people responded to our survey. Here is how they took part, who we heard from less, and the headline answers.',
    authorHandles: ['mei-lin-tan'],
    tags: ['findings', 'updates'],
    publishedDaysAgo: 73,
    commentsOpen: true,
    body: `The survey closed a fortnight ago. Thank you to the 1,094 people who took part. This is a first look at the results; the full analysis will be in the final report.

## How people responded

![Bar chart of survey responses by channel: 598 online, 263 on paper, 139 at a listening session and 94 by phone, 1,094 in total.](/static/demo/responses.svg)

Nearly half of all responses came on paper, by phone or at a listening session. If we had run an online-only survey, we would have missed many of the older people and carers who told us most about cancelled appointments.

## Headline answers

| Statement | Agree or strongly agree |
|---|---:|
| Staff treated me with kindness and respect | 84% |
| I was seen within a time I thought was reasonable | 31% |
| I knew how long I would have to wait | 22% |
| My appointment went ahead when it was booked | 58% |
| I knew who to contact if something changed | 37% |

## What stands out

- **Kindness is not the problem.** Scores for staff are high in every part of the service.
- **Information is.** Fewer than a quarter of people knew how long they would wait. That matches what we heard at the [listening sessions](/community-health-review/posts/what-we-heard-at-the-listening-sessions) almost exactly.
- **Cancellations are common.** Four in ten people had at least one appointment that didn't go ahead as booked.

### Who we heard from less

Responses from people aged 18 to 30, and from people who speak a language other than English at home, were lower than their share of the population. We've weighted the figures above to adjust for this, and we're doing targeted interviews to fill the gap.

## Next

We now have the service's waiting-time and cancellation data. We'll write about what it shows, and what it doesn't, in our next post.`,
    comments: [
      {
        key: 'c1',
        name: 'Ian Stewart',
        email: 'ian.stewart@example.org',
        body: 'Useful to see how many people used paper and phone. Please make sure any future survey keeps those options.',
        status: 'approved',
        hoursAfterPost: 15,
      },
    ],
  },
  {
    slug: 'what-the-waiting-time-data-shows',
    title: "What the waiting-time data shows, and what it doesn't",
    summary:
      "The service's own data confirms long waits for physiotherapy and child development. It also has gaps that make some waits invisible.",
    authorHandles: ['mei-lin-tan'],
    tags: ['findings', 'methods'],
    publishedDaysAgo: 52,
    commentsOpen: true,
    body: `We now have two years of referral and appointment data from Northbrook Community Health, shared with us in anonymised form. This post explains what we did with it and what we found, and publishes the query we used so that anyone with similar data can check our working.

## The query

${FENCE}sql
-- Waits from referral to first appointment, last 24 months, by service.
-- People still waiting have no first_seen date, so they drop out of the wait figures.
SELECT service,
       count(*)          AS referrals,
       count(first_seen) AS seen,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_seen - referred) AS median_days,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY first_seen - referred) AS p90_days
FROM referrals
WHERE referred >= current_date - interval '24 months'
GROUP BY service
ORDER BY median_days DESC;
${FENCE}

## The results

| Service | Referrals | Seen | Median wait (days) | 90th percentile (days) |
|---|---:|---:|---:|---:|
| Child development | 1,420 | 1,012 | 142 | 301 |
| Physiotherapy | 6,830 | 5,915 | 97 | 210 |
| Podiatry | 3,210 | 2,980 | 61 | 133 |
| Community mental health | 2,540 | 2,101 | 48 | 156 |
| District nursing | 9,870 | 9,802 | 2 | 6 |

## What it shows

- District nursing is fast, as you would hope: most people are seen within two days.
- Child development assessments have by far the longest waits. One child in ten waited more than ten months.
- Physiotherapy waits are long *and* affect the most people.

## What it doesn't show

### People still waiting

The query only measures waits that have ended. Look at the gap between referrals and people seen: for child development, more than 400 children referred in the period had not been seen when the data was extracted. Their waits are longer than anything in the table, and they don't appear in it. The service's published waiting times use the same method, which is one reason they look better than people's experience.

### People who gave up

Some people are discharged after missing appointments or not replying to a letter. The data records them as "discharged", not "never seen". We're working with the service to separate the two.

We'll include a corrected measure, counting everyone still waiting, in our interim findings.`,
    comments: [],
  },
  {
    slug: 'interim-findings',
    title: 'Interim findings, and what happens next',
    summary:
      'Our emerging conclusions, shared early so that patients, staff and the service can challenge them before the final report.',
    authorHandles: ['gareth-lloyd'],
    tags: ['findings', 'updates'],
    publishedDaysAgo: 34,
    commentsOpen: true,
    body: `We said at the start that we would share what we found as we went, rather than saving it all for the end. These are our interim findings. They may change. Please tell us where you think we're wrong.

## What we've found

1. **The service is kind, but hard to navigate.** Patients rate staff highly. They rate letters, phone lines and booking poorly.
2. **Waits are longer than the published figures suggest.** Published figures count only people who have been seen. When people still waiting are included, the median wait for a child development assessment rises from 142 days to 188.
3. **Not knowing is worse than waiting.** Fewer than a quarter of survey respondents knew how long they would wait.
4. **Short-notice cancellations are common and damaging.** Most are caused by staff shortages in two teams, and the booking system can't easily rebook people in order of need.
5. **Staff see the same problems.** In confidential interviews, staff described the same issues as patients, often more bluntly.

## Where we're heading

We're not ready to make recommendations, but the direction is becoming clear:

- publish waiting times that include everyone still waiting;
- tell every person, when they're referred, how long they're likely to wait, and update them if that changes;
- fix the booking system's rebooking rules before buying anything new;
- look again at staffing in the two teams with the most cancellations.

## What happens next

We're sharing these findings with the service and the department at the same time as we publish them here. Over the next two weeks we'll test them with staff and with two of the community groups who hosted listening sessions. The final report will follow shortly after that.

If something here doesn't match your experience, please say so in the comments. It's the most useful thing you can do for the review right now.`,
    comments: [
      {
        key: 'c1',
        name: 'Peter Lindqvist',
        email: 'peter.lindqvist@example.com',
        body: "As a member of staff (I won't say which team) I can confirm finding 4. We raised the rebooking problem internally more than a year ago.",
        status: 'approved',
        hoursAfterPost: 9,
      },
      {
        key: 'c2',
        parentKey: 'c1',
        name: 'Gareth Lloyd',
        email: 'gareth.lloyd@example.gov',
        fromTeamHandle: 'gareth-lloyd',
        body: "Thank you for saying so publicly, which I know isn't easy. Staff raised it with us in interviews too, and the final report will say that the problem was known.",
        status: 'approved',
        hoursAfterPost: 20,
      },
      {
        key: 'c3',
        parentKey: 'c2',
        name: 'Sarah Mitchell',
        email: 'sarah.mitchell@example.org',
        body: 'That matters. It should not take an independent review for staff to be heard.',
        status: 'approved',
        hoursAfterPost: 33,
      },
      {
        key: 'c4',
        name: 'Rachel Adams',
        email: 'rachel.adams@example.com',
        body: 'Finding 2 explains so much. The published waits never matched what anyone I know actually experienced.',
        status: 'approved',
        hoursAfterPost: 48,
      },
    ],
  },
  {
    slug: 'final-report-published',
    title: 'Our final report is published',
    summary:
      'The review has concluded. The final report and its eleven recommendations are published, together with responses from the service and the department.',
    authorHandles: ['gareth-lloyd', 'mei-lin-tan'],
    tags: ['final-report', 'updates'],
    publishedDaysAgo: 20,
    commentsOpen: false,
    body: `Today we published our final report. It makes eleven recommendations, and the regional health department and Northbrook Community Health have each published a response alongside it.

## Where to find it

- [Read a summary of the report and every recommendation](/community-health-review/pages/final-report).
- [Download the full report (PDF, 2.1 MB)](https://www.example.org/northbrook-review/final-report.pdf).
- An easy-read version, and translations into four languages, are available on request.

## The recommendations in brief

Ten of the recommendations fall into three groups.

### Tell people where they stand

Publish waiting times that count everyone waiting, not only those already seen. Tell each person how long they're likely to wait when they're referred, and update them if that changes.

### Stop cancelling at short notice

Fix the booking system's rebooking rules, address staffing in the two teams with the most cancellations, and report short-notice cancellations publicly every quarter.

### Keep listening

Set up a standing patient and carer panel, and repeat a version of our survey every year, with paper and phone options.

The eleventh asks the department to report publicly on progress against every recommendation after six months and again after a year. It has agreed to do so.

## What happens now

The review has concluded and the review team has disbanded. Progress updates will be published by the department, not here. This blog will stay online as a record of how the review worked and what people told us along the way.

Comments on this post are closed, because there is no longer a review team to answer them. Questions about the recommendations should go to the department at health.enquiries@example.gov.

## Thank you

Over 1,200 people took part in this review, through the survey, listening sessions, interviews and comments here. Thank you. I hope you'll recognise your experience in what we've written, and hold everyone, including us, to it.`,
    comments: [],
  },
];

const reviewPages: DemoPage[] = [
  {
    slug: 'about',
    title: 'About the review',
    body: `## Why there was a review

The independent review of Northbrook Community Health was commissioned by the regional health department after complaints about waiting times and missed appointments more than doubled in two years. It ran for about five months and **has now concluded**.

## What we were asked to do

1. Describe how the service is used, and by whom.
2. Examine waiting times, missed appointments and complaints, and what lies behind them.
3. Hear directly from patients, carers, staff and partner organisations.
4. Compare the service with similar services elsewhere.
5. Make practical recommendations, and publish them in full.

## The review team

- **Dr Gareth Lloyd**, chair
- **Dr Mei Lin Tan**, research lead
- **Helen McBride**, head of the secretariat and comment moderator

The review was independent of Northbrook Community Health and of the department. Our findings were published here at the same time as they were shared with either of them.

## Final report

The final report, its eleven recommendations and the responses from the service and the department are on the [final report page](/community-health-review/pages/final-report).

## Contact

The review team has disbanded. Questions about the recommendations should go to the regional health department at health.enquiries@example.gov.`,
  },
  {
    slug: 'comment-policy',
    title: 'Comment policy',
    body: `The review has now concluded. This policy is kept as a record of how comments on this blog were moderated while the review was running.

## How moderation worked

Comments on this blog were **pre-moderated**: each one was read by a member of the review team before it was published, usually within two working days. We didn't edit comments. We either published a comment as it was written, or we didn't publish it. Criticism of the service, the department or the review itself was always welcome.

Commenters gave a name and an email address. Names were shown with comments; email addresses were never published, and were only used to contact someone about their comment.

## Why a comment might not have been published

We didn't publish a comment if it was:

- **Off-topic**: not about the post or the work of the review.
- **Abusive**: it attacked, threatened or harassed anyone, including staff of the service, or used discriminatory language.
- **Personal information**: it included details that could identify the writer or someone else, such as a name, an address or details of someone's health or treatment. We asked people who wanted to tell us about their own care to use the survey or to email us instead.
- **Spam**: it advertised something, or was posted automatically.
- **Duplicate**: it repeated a comment that had already been posted.
- **Other**: any other reason, for example because publishing it could have broken the law or prejudiced a complaint that was still being investigated. We said why where we could.

## Complaints about your own care

This review never replaced the service's complaints process. If you have a concern about your own care or someone else's, contact Northbrook Community Health's complaints team directly.`,
  },
  {
    slug: 'final-report',
    title: 'Final report',
    body: `The review's final report was published in full, alongside written responses from Northbrook Community Health and the regional health department.

- [Download the final report (PDF, 2.1 MB)](https://www.example.org/northbrook-review/final-report.pdf)
- [Download the responses from the service and the department (PDF, 340 KB)](https://www.example.org/northbrook-review/responses.pdf)
- For an easy-read version or a translation, email health.enquiries@example.gov

## The recommendations

### Tell people where they stand

1. Publish waiting times that include everyone still waiting, not only people who have been seen.
2. Tell every person, when they're referred, how long they are likely to wait, and update them if that changes.
3. Give every person one contact point for questions about their referral.

### Stop cancelling at short notice

4. Change the booking system's rules so that cancelled appointments are rebooked in order of clinical need.
5. Review staffing in physiotherapy and child development, the two teams with the most short-notice cancellations.
6. Report short-notice cancellations publicly every quarter.
7. Record people discharged without being seen separately from people discharged after treatment.

### Keep listening

8. Set up a standing patient and carer panel with a real say in how the service changes.
9. Repeat a version of the review's survey every year, with paper, phone and in-person options.
10. Give staff a confidential way to raise problems with how the service is run, and publish the response.

### Follow through

11. The department should report publicly on progress against each recommendation after six months and again after one year.`,
  },
];

// ------------------------------------------------------------------------------------- projects

export const demoProjects: DemoProject[] = [
  {
    slug: 'info-sharing-taskforce',
    title: 'Information Sharing Taskforce',
    summary:
      'A cross-government taskforce making it simpler and safer for public services to share the information people have already given them.',
    description: `The Information Sharing Taskforce is a twelve-month, cross-government team looking at why it is still so hard for public services to share the information people have already given them, and fixing what we can.

We are policy, data, legal and research people on loan from five departments and two councils. We're mapping the sharing that already happens, testing practical tools with frontline staff, such as a common agreement template and a simple request form, and we will make recommendations to ministers.

We work in the open and write here every fortnight. Comments are welcome, and are read by the team before they appear: see our [comment policy](/info-sharing-taskforce/pages/comment-policy).`,
    status: 'active',
    timeZone: 'Europe/London',
    team: [
      { handle: 'amira-hassan', role: 'owner' },
      { handle: 'tom-okafor', role: 'editor' },
      { handle: 'priya-raman', role: 'author' },
    ],
    posts: taskforcePosts,
    pages: taskforcePages,
  },
  {
    slug: 'community-health-review',
    title: 'Independent Review of Northbrook Community Health',
    summary:
      'An independent review of waiting times, cancellations and complaints in a community health service. The review has concluded and its final report is published.',
    description: `The independent review of Northbrook Community Health looked at waiting times, missed appointments and complaints in the district's community health service. It heard from more than 1,200 patients, carers and staff, and made eleven recommendations.

**The review has concluded.** The final report is published in full, with responses from the service and the regional health department. A summary of every recommendation and a link to the full report are on the [final report page](/community-health-review/pages/final-report).

This blog stays online as a record of how the review worked and what people told us along the way.`,
    status: 'closed',
    timeZone: 'Australia/Melbourne',
    team: [
      { handle: 'gareth-lloyd', role: 'owner' },
      { handle: 'mei-lin-tan', role: 'author' },
      { handle: 'helen-mcbride', role: 'moderator' },
    ],
    posts: reviewPosts,
    pages: reviewPages,
  },
];
