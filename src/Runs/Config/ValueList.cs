// ValueList<T>: an immutable list with value equality, so config records that hold lists
// (e.g. DataConfig.Test) compare and hash by their elements. Supports collection expressions.
using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace Seq2SeqRev.Runs.Config;

/// <summary>An immutable list that is equal to another when their elements are equal, in order.</summary>
[CollectionBuilder(typeof(ValueList), nameof(ValueList.Create))]
public sealed class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly ImmutableArray<T> _items;

    public ValueList(IEnumerable<T> items) => _items = [.. items];

    public static ValueList<T> Empty { get; } = new([]);

    public int Count => _items.Length;
    public T this[int index] => _items[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(ValueList<T>? other) =>
        other is not null && _items.AsSpan().SequenceEqual(other._items.AsSpan(), EqualityComparer<T>.Default);
    public override bool Equals(object? obj) => Equals(obj as ValueList<T>);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items) hash.Add(item);
        return hash.ToHashCode();
    }
    public override string ToString() => "[" + string.Join(", ", _items) + "]";
}

/// <summary>Builder used by collection expressions: <c>ValueList&lt;string&gt; x = ["a", "b"];</c>.</summary>
public static class ValueList
{
    public static ValueList<T> Create<T>(ReadOnlySpan<T> items) => new(items.ToArray());
}
