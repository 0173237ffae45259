// Compiled by MSBuild's RoslynCodeTaskFactory from MnistCnn.Core.targets (and linked into the tests):
// it is not part of the MnistCnn.Core assembly.
//
// libLibTorchSharp.so from TorchSharp 0.107.0 was linked against GCC 13's libstdc++ and so names the
// version GLIBCXX_3.4.32, which Debian 12 and Ubuntu 22.04 (GCC 12, GLIBCXX_3.4.30) lack; the loader then
// refuses the whole library. The only symbol of that version is std::ios_base_library_init(), a marker
// that GCC 13 emits and nothing calls. Marking that one requirement weak (VER_FLG_WEAK in .gnu.version_r)
// lets the loader accept the library; it is done only when every check below holds.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace MnistCnn.Core.Build
{
    /// <summary>What <see cref="ElfVersionPatcher.Apply"/> found or did.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The requirement was marked weak.</summary>
        Patched,
        /// <summary>The requirement was already weak.</summary>
        AlreadyWeak,
        /// <summary>The file does not require the version at all.</summary>
        NotRequired,
        /// <summary>A symbol of that version other than the known markers exists, or a relocation uses one: patching would be unsafe.</summary>
        Unsafe,
        /// <summary>The file is not a 64-bit little-endian ELF shared object this code understands.</summary>
        NotElf,
    }

    /// <summary>Reads and patches the GNU version-requirement table of an ELF64 little-endian shared object.</summary>
    public static class ElfVersionPatcher
    {
        /// <summary>The version GCC 13's libstdc++ introduced.</summary>
        public const string Glibcxx332 = "GLIBCXX_3.4.32";

        /// <summary>Symbols of <see cref="Glibcxx332"/> that are known to be unreferenced markers.</summary>
        public static readonly string[] KnownMarkerSymbols = { "_ZSt21ios_base_library_initv" };

        private const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Whether a libstdc++ binary defines <paramref name="version"/> (its name appears as a string).</summary>
        public static bool DefinesVersion(byte[] sharedObject, string version)
        {
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            return IndexOf(sharedObject, needle) >= 0;
        }

        /// <summary>
        /// Marks the requirement on <paramref name="version"/> weak in <paramref name="elf"/> (in memory) when the only
        /// symbols of that version are in <paramref name="allowedSymbols"/> and no relocation references them.
        /// </summary>
        public static ElfPatchOutcome Apply(byte[] elf, string version, IReadOnlyCollection<string> allowedSymbols, out string detail)
        {
            detail = "";
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            {
                detail = "not an ELF64 little-endian file";
                return ElfPatchOutcome.NotElf;
            }

            try
            {
                var sections = ReadSections(elf);
                var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
                var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
                var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
                if (verneed == null || versym == null || dynsym == null)
                {
                    detail = "no dynamic version tables";
                    return ElfPatchOutcome.NotRequired;
                }

                var verneedStrings = sections[(int)verneed.Link];
                long auxOffset = FindVernaux(elf, verneed, verneedStrings, version, out ushort versionIndex, out ushort flags);
                if (auxOffset < 0)
                {
                    return ElfPatchOutcome.NotRequired;
                }
                if ((flags & VerFlgWeak) != 0)
                {
                    return ElfPatchOutcome.AlreadyWeak;
                }

                var dynstr = sections[(int)dynsym.Link];
                long symbolCount = dynsym.Size / 24;
                var versionedSymbols = new HashSet<long>();
                for (long i = 0; i < symbolCount; i++)
                {
                    ushort symVersion = (ushort)(U16(elf, versym.Offset + (i * 2)) & 0x7fff);
                    if (symVersion != versionIndex)
                    {
                        continue;
                    }
                    string name = CString(elf, dynstr.Offset + U32(elf, dynsym.Offset + (i * 24)));
                    if (!allowedSymbols.Contains(name))
                    {
                        detail = $"symbol {name} has version {version}";
                        return ElfPatchOutcome.Unsafe;
                    }
                    versionedSymbols.Add(i);
                }

                foreach (var rel in sections.Where(s => (s.Type == ShtRela || s.Type == ShtRel) && s.Link < sections.Count && sections[(int)s.Link] == dynsym))
                {
                    long entrySize = rel.Type == ShtRela ? 24 : 16;
                    for (long off = rel.Offset; off + entrySize <= rel.Offset + rel.Size; off += entrySize)
                    {
                        long symbolIndex = (long)(U64(elf, off + 8) >> 32);
                        if (versionedSymbols.Contains(symbolIndex))
                        {
                            detail = $"a relocation in section {rel.Index} uses a symbol of version {version}";
                            return ElfPatchOutcome.Unsafe;
                        }
                    }
                }

                WriteU16(elf, auxOffset + 4, (ushort)(flags | VerFlgWeak));
                detail = $"{versionedSymbols.Count} unreferenced symbol(s) of {version}";
                return ElfPatchOutcome.Patched;
            }
            catch (IndexOutOfRangeException)
            {
                detail = "malformed ELF tables";
                return ElfPatchOutcome.NotElf;
            }
            catch (ArgumentOutOfRangeException)
            {
                detail = "malformed ELF tables";
                return ElfPatchOutcome.NotElf;
            }
        }

        private static long FindVernaux(byte[] elf, Section verneed, Section strings, string version, out ushort versionIndex, out ushort flags)
        {
            long need = verneed.Offset;
            for (int guard = 0; guard < 4096; guard++)
            {
                ushort auxCount = U16(elf, need + 2);
                long aux = need + U32(elf, need + 8);
                for (int j = 0; j < auxCount; j++)
                {
                    if (CString(elf, strings.Offset + U32(elf, aux + 8)) == version)
                    {
                        flags = U16(elf, aux + 4);
                        versionIndex = (ushort)(U16(elf, aux + 6) & 0x7fff);
                        return aux;
                    }
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0)
                    {
                        break;
                    }
                    aux += nextAux;
                }
                uint next = U32(elf, need + 12);
                if (next == 0)
                {
                    break;
                }
                need += next;
            }
            versionIndex = 0;
            flags = 0;
            return -1;
        }

        private sealed class Section
        {
            public int Index;
            public uint Type;
            public long Offset;
            public long Size;
            public uint Link;
        }

        private static List<Section> ReadSections(byte[] elf)
        {
            long shoff = (long)U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3A);
            ushort shnum = U16(elf, 0x3C);
            var list = new List<Section>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + ((long)i * shentsize);
                var s = new Section
                {
                    Index = i,
                    Type = U32(elf, h + 4),
                    Offset = (long)U64(elf, h + 0x18),
                    Size = (long)U64(elf, h + 0x20),
                    Link = U32(elf, h + 0x28),
                };
                if (s.Type != 8 /* SHT_NOBITS */ && (s.Offset < 0 || s.Size < 0 || s.Offset + s.Size > elf.Length))
                {
                    throw new ArgumentOutOfRangeException(nameof(elf), "a section lies outside the file");
                }
                list.Add(s);
            }
            return list;
        }

        private static ushort U16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));

        private static uint U32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));

        private static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);

        private static void WriteU16(byte[] b, long o, ushort v)
        {
            b[o] = (byte)v;
            b[o + 1] = (byte)(v >> 8);
        }

        private static string CString(byte[] b, long o)
        {
            long end = o;
            while (b[end] != 0)
            {
                end++;
            }
            return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j])
                {
                    j++;
                }
                if (j == needle.Length)
                {
                    return i;
                }
            }
            return -1;
        }

        private static readonly string[] SystemLibraryDirectories =
        {
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
            "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        };

        /// <summary>The libstdc++ the dynamic loader would pick, looked for in the usual places.</summary>
        public static string? FindSystemLibStdCxx()
        {
            var dirs = new List<string>();
            string? ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldPath))
            {
                dirs.AddRange(ldPath.Split(':').Where(d => d.Length > 0));
            }
            dirs.AddRange(SystemLibraryDirectories);
            return dirs.Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);
        }
    }

#if !MNISTCNN_ELF_PATCHER_ONLY
    /// <summary>MSBuild task: applies <see cref="ElfVersionPatcher"/> to libLibTorchSharp.so copies in a build or publish output.</summary>
    public sealed class MnistCnnPatchLibStdCxx : Microsoft.Build.Utilities.Task
    {
        /// <summary>The output copies of libLibTorchSharp.so.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>Executes the task.</summary>
        public override bool Execute()
        {
            string? libstdcxx = ElfVersionPatcher.FindSystemLibStdCxx();
            if (libstdcxx == null)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "MnistCnn.Core: no system libstdc++.so.6 found; libLibTorchSharp.so left as it is.");
                return true;
            }
            if (ElfVersionPatcher.DefinesVersion(File.ReadAllBytes(libstdcxx), ElfVersionPatcher.Glibcxx332))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"MnistCnn.Core: {libstdcxx} provides {ElfVersionPatcher.Glibcxx332}; no patch needed.");
                return true;
            }

            foreach (var item in Files)
            {
                string path = item.GetMetadata("FullPath");
                byte[] bytes = File.ReadAllBytes(path);
                var outcome = ElfVersionPatcher.Apply(bytes, ElfVersionPatcher.Glibcxx332, ElfVersionPatcher.KnownMarkerSymbols, out string detail);
                if (outcome == ElfPatchOutcome.Unsafe || outcome == ElfPatchOutcome.NotElf)
                {
                    Log.LogWarning($"MnistCnn.Core: {path} was not patched ({detail}); TorchSharp may fail to load on this system's libstdc++.");
                    continue;
                }
                if (outcome != ElfPatchOutcome.Patched)
                {
                    continue;
                }

                // A new file renamed over the old one: the output copy may be a hard link into the NuGet cache.
                // The copy keeps the file mode; the old timestamp keeps incremental builds from copying it again.
                DateTime stamp = File.GetLastWriteTimeUtc(path);
                string temp = path + ".mnistcnn-tmp";
                File.Copy(path, temp, true);
                File.WriteAllBytes(temp, bytes);
                File.SetLastWriteTimeUtc(temp, stamp);
                File.Replace(temp, path, null);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, $"MnistCnn.Core: marked {ElfVersionPatcher.Glibcxx332} weak in {path} ({detail}), as {libstdcxx} lacks it.");
            }
            return true;
        }
    }
#endif
}
