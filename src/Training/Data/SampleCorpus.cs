// SampleCorpus: generates the project's own small en-de corpus (corpora/sample/) from a tiny template grammar
// written for this project — not derived from any dataset. Guarantees: output is a pure function of the code
// (fixed seed, own LCG, fixed word lists), so regenerating reproduces the committed files byte for byte; no
// sentence pair occurs twice (within or across splits); files are UTF-8 without BOM, one sentence per '\n' line;
// German articles and adjective endings agree in gender and case (nominative subject, accusative object,
// dative place), and a fronted time phrase moves the German verb to second position.
using System.Text;

namespace Seq2SeqRev.Training.Data;

public static class SampleCorpus
{
    public static readonly (string Split, int Count)[] Splits = [("train", 2000), ("val", 100), ("test", 100)];

    private enum G { M, F, N }
    private sealed record Noun(string En, string De, G Gender);
    private sealed record Adj(string En, string De);
    private sealed record Phrase(string En, string De);

    private static readonly Noun[] Subjects =
    [
        new("man", "Mann", G.M), new("woman", "Frau", G.F), new("child", "Kind", G.N), new("dog", "Hund", G.M),
        new("cat", "Katze", G.F), new("girl", "Mädchen", G.N), new("boy", "Junge", G.M), new("teacher", "Lehrerin", G.F),
        new("farmer", "Bauer", G.M), new("baker", "Bäckerin", G.F),
    ];

    private static readonly Noun[] Objects =
    [
        new("ball", "Ball", G.M), new("bag", "Tasche", G.F), new("book", "Buch", G.N), new("hat", "Hut", G.M),
        new("cup", "Tasse", G.F), new("bicycle", "Fahrrad", G.N), new("apple", "Apfel", G.M), new("box", "Kiste", G.F),
        new("picture", "Bild", G.N), new("kite", "Drachen", G.M), new("lamp", "Lampe", G.F), new("boat", "Boot", G.N),
    ];

    private static readonly Adj[] Adjectives =
    [
        new("red", "rot"), new("blue", "blau"), new("green", "grün"), new("yellow", "gelb"), new("black", "schwarz"),
        new("white", "weiß"), new("small", "klein"), new("big", "groß"), new("old", "alt"), new("new", "neu"),
    ];

    private static readonly Phrase[] Verbs =
    [
        new("holds", "hält"), new("sees", "sieht"), new("carries", "trägt"), new("buys", "kauft"),
        new("finds", "findet"), new("paints", "malt"), new("washes", "wäscht"), new("sells", "verkauft"),
    ];

    private static readonly Phrase[] Places =
    [
        new("in the park", "im Park"), new("on the street", "auf der Straße"), new("at the beach", "am Strand"),
        new("in the garden", "im Garten"), new("in the kitchen", "in der Küche"), new("by the river", "am Fluss"),
        new("in the city", "in der Stadt"), new("at school", "in der Schule"), new("on the mountain", "auf dem Berg"),
        new("in the forest", "im Wald"),
    ];

    private static readonly Phrase[] Times =
    [
        new("Today", "Heute"), new("In the morning", "Am Morgen"), new("In the evening", "Am Abend"),
        new("On Sunday", "Am Sonntag"), new("Every day", "Jeden Tag"),
    ];

    /// <summary>All pairs, split by split name, in file order.</summary>
    public static IReadOnlyDictionary<string, List<(string En, string De)>> Generate()
    {
        var rng = new Lcg(20240611);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new Dictionary<string, List<(string, string)>>();
        foreach (var (split, count) in Splits)
        {
            var pairs = new List<(string, string)>(count);
            while (pairs.Count < count)
            {
                var pair = Sentence(ref rng);
                if (seen.Add(pair.En)) pairs.Add(pair);
            }
            result[split] = pairs;
        }
        return result;
    }

    /// <summary>Writes &lt;split&gt;.en / &lt;split&gt;.de files into <paramref name="directory"/>.</summary>
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        foreach (var (split, pairs) in Generate())
        {
            File.WriteAllText(Path.Combine(directory, $"{split}.en"), string.Concat(pairs.Select(p => p.En + "\n")), utf8);
            File.WriteAllText(Path.Combine(directory, $"{split}.de"), string.Concat(pairs.Select(p => p.De + "\n")), utf8);
        }
    }

    private static (string En, string De) Sentence(ref Lcg rng)
    {
        var subj = Pick(Subjects, ref rng);
        var subjAdj = rng.Next(3) == 0 ? Pick(Adjectives, ref rng) : null;
        var place = Pick(Places, ref rng);
        var time = rng.Next(4) == 0 ? Pick(Times, ref rng) : null;
        string enSubj = "the " + (subjAdj is null ? "" : subjAdj.En + " ") + subj.En;
        string deSubj = NominativeDefinite(subj, subjAdj);

        string enRest, deVerb, deRest;
        if (rng.Next(5) == 0)
        {
            enRest = "is " + place.En;
            deVerb = "ist";
            deRest = place.De;
        }
        else
        {
            var verb = Pick(Verbs, ref rng);
            var obj = Pick(Objects, ref rng);
            var objAdj = rng.Next(3) != 0 ? Pick(Adjectives, ref rng) : null;
            string article = objAdj is null && "aeiou".Contains(obj.En[0]) ? "an" : "a";
            if (objAdj is not null && "aeiou".Contains(objAdj.En[0])) article = "an";
            enRest = $"{verb.En} {article} {(objAdj is null ? "" : objAdj.En + " ")}{obj.En} {place.En}";
            deVerb = verb.De;
            deRest = AccusativeIndefinite(obj, objAdj) + " " + place.De;
        }
        string en = time is null ? $"{Cap(enSubj)} {enRest}." : $"{time.En}, {enSubj} {enRest}.";
        string de = time is null ? $"{Cap(deSubj)} {deVerb} {deRest}." : $"{time.De} {deVerb} {deSubj} {deRest}.";
        return (en, de);
    }

    private static string NominativeDefinite(Noun n, Adj? a)
    {
        string article = n.Gender switch { G.M => "der", G.F => "die", _ => "das" };
        return a is null ? $"{article} {n.De}" : $"{article} {a.De}e {n.De}";
    }

    private static string AccusativeIndefinite(Noun n, Adj? a)
    {
        string article = n.Gender switch { G.M => "einen", G.F => "eine", _ => "ein" };
        string ending = n.Gender switch { G.M => "en", G.F => "e", _ => "es" };
        return a is null ? $"{article} {n.De}" : $"{article} {a.De}{ending} {n.De}";
    }

    private static string Cap(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static T Pick<T>(T[] items, ref Lcg rng) => items[rng.Next(items.Length)];

    /// <summary>64-bit LCG (Knuth's MMIX constants), high bits used: fixed output on every runtime.</summary>
    private struct Lcg(ulong seed)
    {
        private ulong _state = seed;

        public int Next(int bound)
        {
            _state = _state * 6364136223846793005UL + 1442695040888963407UL;
            return (int)((_state >> 33) % (ulong)bound);
        }
    }
}
