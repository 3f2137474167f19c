// LSM6DSO_I2C.cs: Renode's LSM6DSO_IMU model on an I2C bus. Up to Renode 1.16 the model speaks only
// SPI; this subclass adds the I2C side (II2CPeripheral) over the same registers, FIFO and RESD
// feeding, so that it sits on STM32F4_I2C as the part sits on the X-NUCLEO-IKS01A3's I2C bus.
// Renode compiles it when a script includes it (renode/iks01a3.resc does).
using System;
using Antmicro.Renode.Core;
using Antmicro.Renode.Peripherals.I2C;
using Antmicro.Renode.Time;
using Antmicro.Renode.Utilities.RESD;

namespace Antmicro.Renode.Peripherals.Sensors
{
    public class LSM6DSO_IMU_I2C : LSM6DSO_IMU, II2CPeripheral
    {
        public LSM6DSO_IMU_I2C(IMachine machine) : base(machine)
        {
        }

        // An I2C write: the register address, then the values for it and the registers after it.
        public void Write(byte[] data)
        {
            if(data.Length == 0)
            {
                return;
            }
            registerAddress = (byte)(data[0] & 0x7F);
            if(data.Length > 1)
            {
                FinishTransmission();
                Transmit(registerAddress);
                for(var i = 1; i < data.Length; i++)
                {
                    Transmit(data[i]);
                }
                FinishTransmission();
            }
        }

        // STM32F4_I2C asks for the bytes of a read when the address is sent, before it knows how
        // many the master will take: give one FIFO word from the FIFO output registers (reading
        // the tag is what takes a word out of the FIFO), and up to two registers elsewhere, never
        // running into the FIFO output.
        public byte[] Read(int count = 1)
        {
            var inFifoOutput = registerAddress >= FifoDataOutTag;
            var length = inFifoOutput ? FifoDataOutEnd - registerAddress + 1 : Math.Min(MaxRegisterBurst, FifoDataOutTag - registerAddress);
            var result = new byte[Math.Max(count, length)];
            FinishTransmission();
            Transmit((byte)(0x80 | registerAddress));
            for(var i = 0; i < result.Length; i++)
            {
                result[i] = Transmit(0);
            }
            FinishTransmission();
            return result;
        }

        // RESD feeding finds its sample handlers by reflection on this class, which does not see the
        // base class's private ones: the same handlers here, through the public feeding methods.
        [OnRESDSample(SampleType.Acceleration)]
        [BeforeRESDSample(SampleType.Acceleration)]
        private void HandleAcceleration(AccelerationSample sample, TimeInterval timestamp)
        {
            if(sample == null)
            {
                FeedAccelerationSample(DefaultAccelerationX, DefaultAccelerationY, DefaultAccelerationZ);
                return;
            }
            // RESD acceleration is in micro-g.
            FeedAccelerationSample(sample.AccelerationX / 1e6m, sample.AccelerationY / 1e6m, sample.AccelerationZ / 1e6m);
        }

        [OnRESDSample(SampleType.AngularRate)]
        [BeforeRESDSample(SampleType.AngularRate)]
        private void HandleAngularRate(AngularRateSample sample, TimeInterval timestamp)
        {
            if(sample == null)
            {
                FeedAngularRateSample(DefaultAngularRateX, DefaultAngularRateY, DefaultAngularRateZ);
                return;
            }
            // As the base model reads RESD angular rate: 10^-5 rad/s, fed in degrees per second.
            FeedAngularRateSample(DegreesPerRadian * sample.AngularRateX / 1e5m, DegreesPerRadian * sample.AngularRateY / 1e5m,
                DegreesPerRadian * sample.AngularRateZ / 1e5m);
        }

        // When a recording ends the part goes on sampling its default values, as the base model does.
        [AfterRESDSample(SampleType.Acceleration)]
        private void HandleAccelerationEnded(AccelerationSample sample, TimeInterval timestamp)
        {
            accelerationDefaults = StartDefaultFeeder(accelerationDefaults, BatchingRate(0),
                () => FeedAccelerationSample(DefaultAccelerationX, DefaultAccelerationY, DefaultAccelerationZ));
        }

        [AfterRESDSample(SampleType.AngularRate)]
        private void HandleAngularRateEnded(AngularRateSample sample, TimeInterval timestamp)
        {
            angularRateDefaults = StartDefaultFeeder(angularRateDefaults, BatchingRate(4),
                () => FeedAngularRateSample(DefaultAngularRateX, DefaultAngularRateY, DefaultAngularRateZ));
        }

        private IManagedThread StartDefaultFeeder(IManagedThread previous, uint frequency, Action feed)
        {
            previous?.Dispose();
            if(frequency == 0)
            {
                return null;
            }
            var thread = machine.ObtainManagedThread(feed, frequency, "fxclass default samples", this);
            thread.Start();
            return thread;
        }

        // The batching data rate of FIFO_CTRL3 (BDR_XL at bit 0, BDR_GY at bit 4) in whole hertz,
        // rounded down as the base model's feeding threads run.
        private uint BatchingRate(int bit)
        {
            var code = (ReadByte(FifoControl3) >> bit) & 0xF;
            return code >= 1 && code < BatchingRatesHz.Length + 1 ? BatchingRatesHz[code - 1] : 0u;
        }

        private IManagedThread accelerationDefaults;
        private IManagedThread angularRateDefaults;
        private byte registerAddress;

        private static readonly uint[] BatchingRatesHz = { 12, 26, 52, 104, 208, 416, 833, 1660, 3330, 6660 };
        private const decimal DegreesPerRadian = 180m / (decimal)Math.PI;
        private const long FifoControl3 = 0x09;

        private const byte FifoDataOutTag = 0x78;
        private const byte FifoDataOutEnd = 0x7E;
        // Longer than any register read fxclass makes elsewhere (the two FIFO status registers),
        // short enough not to touch registers the model lacks.
        private const int MaxRegisterBurst = 2;
    }
}
